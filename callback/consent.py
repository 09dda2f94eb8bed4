"""The callback's consent decisions, as plain values and functions without HTTP: which session URI
and link value are well formed, what to say when a session is unusable, whether this browser and the
person at it may confirm a session, and the single attempt at `CompleteResourceTokenAuth` (final and
retryable failures, release on throttling). callback/routes.py calls these and renders their answers
with callback/pages.py.

A session is bound to the browser that first opened its one-time consent link (a cookie whose hash
the store keeps): a landing from any other browser, or a sign-in as anyone but the initiator, cancels
the session for good (`Problem.burns`), because it means the link or AgentCore's URL was passed on."""

from __future__ import annotations

import hmac
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from callback.signin import Identity, identity_of_token
from handoff.callers import unverified_claims
from handoff.links import digest
from handoff.sessions import OAuthSession, SessionStore, SessionUnavailable

SESSION_URI = re.compile(r"urn:ietf:params:oauth:request_uri:[a-zA-Z0-9\-._~]{1,900}")
"""The shape of a session URI (the `request_uri` AgentCore put in the authorization URL)."""
RETRYABLE = frozenset({"ThrottlingException", "ServiceUnavailableException", "InternalServerException"})
"""CompleteResourceTokenAuth error codes after which the session is released for another try."""
log = logging.getLogger("callback")


LINK_VALUE = re.compile(r"[A-Za-z0-9_-]{43}")
"""The shape of a one-time link value and of a browser cookie (secrets.token_urlsafe(32))."""
CANCELLED = "For your safety this authorization is now cancelled: nothing was linked."


@dataclass(frozen=True)
class Problem:
    """Why the answer is no, for a person: a page title, an HTTP status and one sentence."""

    title: str
    status: int
    message: str
    burns: bool = False
    """The session must be cancelled (stored as used): the link has reached someone it was not meant for."""


@dataclass(frozen=True)
class SignInNeeded:
    """The person must first sign in, as `initiator`, before they may confirm the session."""

    initiator: Identity


UNAVAILABLE = {
    "unknown": Problem(
        "Unknown authorization session", 404, "This link does not belong to an authorization this server started."
    ),
    "expired": Problem(
        "Authorization link expired", 410, "This authorization link has expired (they last about ten minutes)."
    ),
    "used": Problem("Authorization link already used", 409, "This authorization link has already been used."),
    "elsewhere": Problem(
        "Authorization link already opened",
        403,
        f"This link was already opened in another browser; a link works in one browser only. {CANCELLED}",
        burns=True,
    ),
}
OTHER_BROWSER = Problem(
    "Authorization cancelled",
    403,
    "This authorization was not started in this browser (the link was opened elsewhere, or this browser "
    f"does not keep this site's cookies). {CANCELLED}",
    burns=True,
)
CANNOT_VERIFY = Problem("Cannot verify this authorization", 403, "The session does not say who started it.")
SIGN_IN_REQUIRED = Problem("Sign-in required", 403, "Sign in as the user who started this authorization first.")
AWS_BUSY = Problem("Try again in a moment", 503, "AWS is busy right now; reload this page and press the button again.")
AWS_UNREACHABLE = Problem("Try again in a moment", 503, "AWS could not be reached; reload this page and try again.")
NOT_ACCEPTED = Problem(
    "Authorization not accepted",
    403,
    "AWS refused to link this authorization: the session is invalid or expired, or it was started by someone else.",
)


def well_formed(session_uri: str) -> bool:
    return SESSION_URI.fullmatch(session_uri) is not None


def well_formed_value(value: str) -> bool:
    """A one-time link value or browser cookie as this app and the MCP server make them."""
    return LINK_VALUE.fullmatch(value) is not None


def browser_check(session: OAuthSession, cookie: str) -> Problem | None:
    """None when `cookie` is the one of the browser that opened the session's consent link."""
    if session.browser_hash is None or not well_formed_value(cookie):
        return OTHER_BROWSER
    return None if hmac.compare_digest(session.browser_hash, digest(cookie)) else OTHER_BROWSER


def unavailable(exc: SessionUnavailable) -> Problem:
    """Unknown, expired or already used."""
    return UNAVAILABLE[exc.reason]


def someone_else(signed_in: Identity, initiator: Identity) -> Problem:
    return Problem(
        "This link belongs to someone else",
        403,
        f"You signed in as {signed_in.name}, but this authorization was started by {initiator.name}. {CANCELLED} "
        "If you want GitHub access for yourself, run the tool yourself.",
        burns=True,
    )


def confirmer_check(
    session: OAuthSession, *, sign_in_enabled: bool, signed_in: Identity | None, may_redirect: bool
) -> Problem | SignInNeeded | None:
    """None when the person at the browser may confirm `session`.

    Only sessions started with a user's token (CUSTOM_JWT), and only with sign-in enabled, are
    checked: `signed_in` (who signed in for this very session, if anyone) must be the initiator.
    Without a sign-in, a GET (`may_redirect`) asks for one; a POST is refused."""
    if session.identifier_kind != "userToken" or not sign_in_enabled:
        return None
    initiator = identity_of_token(session.identifier)
    if initiator is None:
        return CANNOT_VERIFY
    if signed_in is None:
        return SignInNeeded(initiator) if may_redirect else SIGN_IN_REQUIRED
    if (signed_in.issuer, signed_in.subject) != (initiator.issuer, initiator.subject):
        return someone_else(signed_in, initiator)
    return None


SIGN_IN_EXPIRED = Problem(
    "Your sign-in expired before you approved",
    410,
    "AgentCore links an authorization only to the exact sign-in (token) your MCP client had when it asked, and "
    "that one has expired. Nothing was linked. Call the tool again from your client (it renews its sign-in by "
    "itself) and open the new link.",
)


def completion_failure(code: str) -> Problem:
    """What a CompleteResourceTokenAuth error code means for the person (retryable or final)."""
    if code in RETRYABLE:
        return AWS_BUSY
    if code == "AccessDeniedException":
        return NOT_ACCEPTED
    return Problem("Authorization failed", 502, f"AWS answered {code}.")


def complete_once(store: SessionStore, identity_client: Any, session_uri: str) -> OAuthSession | Problem:
    """Consume the session, so it is completed at most once, then call CompleteResourceTokenAuth for its
    initiator with `identity_client` (boto3 `bedrock-agentcore`). Blocking: run it in a worker thread.

    Returns the completed session, or the problem to show. Consuming forgets the stored identifier; when
    AWS is busy or unreachable the session is released (identifier restored) so that the person can press
    the button again; other failures use it up."""
    try:
        session = store.consume(session_uri)
    except SessionUnavailable as exc:
        return unavailable(exc)
    if session.identifier_kind == "userToken" and _expired(session.identifier):
        # Whether AWS refuses an expired userToken here is UNCONFIRMED; the sandbox does (the stricter
        # reading), and the person learns what to do instead of a bare refusal.
        return SIGN_IN_EXPIRED
    identifier = {session.identifier_kind: session.identifier}
    try:
        identity_client.complete_resource_token_auth(sessionUri=session_uri, userIdentifier=identifier)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        log.warning("CompleteResourceTokenAuth failed with %s", code)
        if code in RETRYABLE:
            store.release(session)
        return completion_failure(code)
    except BotoCoreError as exc:
        store.release(session)
        log.warning("CompleteResourceTokenAuth could not be sent: %s", type(exc).__name__)
        return AWS_UNREACHABLE
    return session


def _expired(token: str) -> bool:
    """The initiator's JWT has passed its `exp` (read, not verified: AWS verifies it)."""
    exp = (unverified_claims(token) or {}).get("exp")
    return isinstance(exp, (int, float)) and exp <= time.time()
