"""What the callback app's handlers share: the `CallbackState` that `callback.__main__.make_state`
builds and `callback.app.build_app` puts on the Starlette app (`app.state.callback`); the handlers
in callback/routes.py read it back with `callback_state(request)`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request

from callback.csrf import Csrf
from callback.signin import OidcSignIn, Signer
from handoff.config import HandOff
from handoff.sessions import SessionStore


@dataclass
class CallbackState:
    config: HandOff
    config_path: Path
    store: SessionStore
    identity_client: Any
    """A boto3 `bedrock-agentcore` client."""
    csrf: Csrf
    signin: OidcSignIn | None = None
    """Set for CUSTOM_JWT stacks: the person confirming must sign in as the session's initiator."""

    @property
    def signer(self) -> Signer:
        return Signer(self.csrf.key)


def callback_state(request: Request) -> CallbackState:
    """The state `build_app` stored on the app serving this request."""
    state: CallbackState = request.app.state.callback
    return state
