"""What the callback app's handlers share: the `CallbackState` that `callback.__main__.make_state`
builds and `callback.app.build_app` puts on the Starlette app (`app.state.callback`); the handlers
in callback/routes.py read it back with `callback_state(request)`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request

from callback.cookies import CookiePolicy
from callback.csrf import Csrf
from callback.signin import RETURN_PATH, OidcSignIn, Signer
from handoff.config import HandOff
from handoff.sessions import SessionStore

CALLBACK_PATH = "/oauth/callback"


@dataclass
class CallbackState:
    config: HandOff
    config_path: Path
    store: SessionStore
    identity_client: Any
    """A boto3 `bedrock-agentcore` client."""
    csrf: Csrf
    signer: Signer
    """Signs the sign-in cookies, with a key of its own (callback/keys.py)."""
    public_url: str | None = None
    """The callback URL as configured (config.json): where AgentCore sends browsers, and so where this app is."""
    signin: OidcSignIn | None = None
    """Set for CUSTOM_JWT stacks: the person confirming must sign in as the session's initiator."""

    @property
    def return_uri(self) -> str | None:
        """The identity provider's redirect URI: the configured callback URL with RETURN_PATH, never a
        value from the request (its Host header is the client's to choose)."""
        if self.public_url is None:
            return None
        parts = urlsplit(self.public_url)
        prefix = parts.path[: -len(CALLBACK_PATH)] if parts.path.endswith(CALLBACK_PATH) else ""
        return f"{parts.scheme}://{parts.netloc}{prefix}{RETURN_PATH}"

    @property
    def cookies(self) -> CookiePolicy:
        return CookiePolicy(secure=(self.public_url or "").startswith("https://"))


def configured_callback_url(config: HandOff) -> str | None:
    """The stack's callback URL: `callback_url`, else the first target's return URL."""
    return config.callback_url or next((t.return_url for t in config.targets if t.return_url), None)


def callback_state(request: Request) -> CallbackState:
    """The state `build_app` stored on the app serving this request."""
    state: CallbackState = request.app.state.callback
    return state
