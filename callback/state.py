"""What the callback app's handlers share: the `CallbackState` that `callback.setup.make_state`
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
from callback.signin import OidcSignIn, Signer
from handoff.config import HandOff
from handoff.links import RETURN_PATH, callback_address
from handoff.sessions import SessionStore


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
        return None if self.public_url is None else callback_address(self.public_url, RETURN_PATH)

    def path(self, path: str) -> str:
        """`path` of this app as browsers reach it: under the configured callback URL's prefix, if any."""
        return path if self.public_url is None else urlsplit(callback_address(self.public_url, path)).path

    @property
    def cookies(self) -> CookiePolicy:
        return CookiePolicy(secure=(self.public_url or "").startswith("https://"))


def callback_state(request: Request) -> CallbackState:
    """The state `build_app` stored on the app serving this request."""
    state: CallbackState = request.app.state.callback
    return state
