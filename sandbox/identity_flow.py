"""AgentCore Identity's data plane for the authorization-code (3LO) flow, and the token vault.

gateway tools/call, user has no token -> start_session() -> elicitation URL
browser: GET /identities/oauth2/authorize?request_uri=...  -> GitHub consent page
GitHub  -> GET /identities/oauth2/callback/<id>?code&state -> code exchanged, browser sent to
           the return URL with ?session_id=<session_uri>
callback app: CompleteResourceTokenAuth(sessionUri, userIdentifier) -> the token enters the
           vault only if the identifier is the one that started the session.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt

from sandbox.errors import AwsError, validation

URN_PREFIX = "urn:ietf:params:oauth:request_uri:"
SESSION_TTL = 600.0


@dataclass(frozen=True)
class Initiator:
    """Who started a session: the exact artifact CompleteResourceTokenAuth must present, and the
    vault key the token is stored under (for JWTs, issuer + subject, so a fresh token still works)."""

    kind: str  # "userToken" or "userId"
    value: str
    vault_key: str
    login_hint: str = ""


@dataclass
class Session:
    session_uri: str
    provider: str
    scopes: list[str]
    return_url: str
    initiator: Initiator
    workload_identity: str  # the gateway's own, whose allowedResourceOauth2ReturnUrls must hold return_url
    state: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    created: float = field(default_factory=time.monotonic)
    token: str | None = None
    completed: bool = False

    @property
    def expired(self) -> bool:
        return time.monotonic() - self.created > SESSION_TTL


class IdentityFlow:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sessions: dict[str, Session] = {}
        self.vault: dict[tuple[str, str], str] = {}

    def forget(self) -> None:
        with self.lock:
            self.sessions.clear()
            self.vault.clear()

    def token_for(self, provider: str, initiator: Initiator) -> str | None:
        return self.vault.get((provider, initiator.vault_key))

    def start_session(
        self,
        *,
        provider: str,
        scopes: list[str],
        return_url: str,
        initiator: Initiator,
        workload_identity: str,
        base_url: str,
    ) -> tuple[str, str]:
        """Returns (session_uri, authorization URL for the user's browser)."""
        session_uri = URN_PREFIX + secrets.token_urlsafe(24).replace("_", "-")
        with self.lock:
            self.sessions[session_uri] = Session(
                session_uri, provider, scopes, return_url, initiator, workload_identity
            )
        return session_uri, f"{base_url}/identities/oauth2/authorize?{urlencode({'request_uri': session_uri})}"

    def authorize_redirect(self, session_uri: str, *, client_id: str, callback_url: str, base_url: str) -> str:
        session = self._live_session(session_uri)
        query = {
            "client_id": client_id,
            "redirect_uri": callback_url,
            "scope": " ".join(session.scopes),
            "state": session.state,
        }
        if session.initiator.login_hint:
            query["login"] = session.initiator.login_hint
        return f"{base_url}/github/login/oauth/authorize?{urlencode(query)}"

    def session_for_state(self, state: str) -> Session:
        with self.lock:
            session = next((s for s in self.sessions.values() if s.state == state), None)
        if session is None or session.expired:
            raise validation("unknown or expired authorization session")
        return session

    def consented(self, session: Session, token: str) -> str:
        """Called after the code exchange; returns where to send the browser."""
        session.token = token
        return f"{session.return_url}?{urlencode({'session_id': session.session_uri})}"

    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        """CompleteResourceTokenAuth: bind the consented token to the initiator, once."""
        uri, identifier = body.get("sessionUri"), body.get("userIdentifier")
        if not isinstance(uri, str) or not uri.startswith(URN_PREFIX):
            raise validation("sessionUri must match urn:ietf:params:oauth:request_uri:[a-zA-Z0-9-._~]+")
        if not isinstance(identifier, dict) or len(identifier) != 1:
            raise validation("userIdentifier must have exactly one of userToken, userId")
        ((kind, value),) = identifier.items()
        with self.lock:
            session = self.sessions.get(uri)
            denied = (
                session is None
                or session.expired
                or session.completed
                or session.token is None
                or (kind, value) != (session.initiator.kind, session.initiator.value)
            )
            if denied:
                raise AwsError("AccessDeniedException", "Invalid or expired session", 403)
            if kind == "userToken" and _expired(str(value)):
                # UNCONFIRMED whether AWS checks the userToken's expiry here ("the OAuth2.0 token ... used
                # for initiating the user authorization request", API reference); refused: the stricter reading.
                raise AwsError("AccessDeniedException", "The user token has expired", 403)
            assert session is not None and session.token is not None
            session.completed = True
            self.vault[(session.provider, session.initiator.vault_key)] = session.token
        return {}

    def _live_session(self, session_uri: str) -> Session:
        with self.lock:
            session = self.sessions.get(session_uri)
        if session is None or session.expired or session.completed:
            raise validation("this authorization link is unknown, used or expired; call the tool again for a fresh one")
        return session


def _expired(token: str) -> bool:
    try:
        exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
    except jwt.PyJWTError:
        return False
    return isinstance(exp, (int, float)) and exp <= time.time()
