"""The OAuth sessions shared by `mcp-server` (records them) and `oauth-callback` (reads, consumes them):
the record, the `SessionStore` interface both stores implement, and their errors. Data only, no I/O.

When the gateway answers -32042, the MCP server records `session URI -> initiator` in a store, with
AgentCore's authorization URL and the hash of the one-time consent link it hands out instead
(handoff/links.py). The callback binds the session to the first browser that opens that link (the
hash of a cookie it sets), and later completes it only for that browser and the initiator.

The stores: handoff/sqlite_sessions.py (one host, several processes; the default) and
handoff/dynamodb_sessions.py (programs on different hosts); handoff/session_stores.py's `open_store`
picks one. The initiator of a CUSTOM_JWT session is the user's bearer token, a secret at rest: both
stores keep it only while the session can still be completed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal, Protocol

from handoff.callers import IdentifierKind

SESSION_TTL_SECONDS = 600.0


@dataclass(frozen=True)
class OAuthSession:
    session_uri: str
    identifier_kind: IdentifierKind
    identifier: str = field(repr=False)
    display_name: str
    created_at: float
    expires_at: float
    used_at: float | None = None
    authorization_url: str = field(default="", repr=False)
    """AgentCore's URL for this session: where the callback sends the browser that opened the consent link."""
    link_hash: str | None = None
    """digest() of the one-time consent link's value (handoff/links.py)."""
    browser_hash: str | None = None
    """digest() of the cookie of the browser that opened the consent link; None until one has."""

    @property
    def expired(self) -> bool:
        return time.time() >= self.expires_at


Reason = Literal["unknown", "expired", "used", "elsewhere"]


class SessionUnavailable(Exception):
    """Unknown, expired, already used, or opened in another browser: the user must call the tool again."""

    def __init__(self, reason: Reason):
        super().__init__(reason)
        self.reason = reason


class SessionStoreError(Exception):
    """The store cannot be used safely or at all; the message names the file and the fix."""


class SessionStore(Protocol):
    def record(
        self,
        *,
        session_uri: str,
        identifier_kind: IdentifierKind,
        identifier: str,
        display_name: str,
        authorization_url: str,
        link_hash: str,
    ) -> OAuthSession:
        """Store a new session, or point a pending one recorded before at this new link (keeping its times and
        browser). Raises SessionUnavailable("used") for a session URI that has ended (used or cancelled)."""
        ...

    def get(self, session_uri: str) -> OAuthSession:
        """Raises SessionUnavailable."""
        ...

    def get_by_link(self, link_hash: str) -> OAuthSession:
        """The usable session whose consent link hashes to `link_hash`. Raises SessionUnavailable."""
        ...

    def bind_browser(self, session_uri: str, browser_hash: str) -> OAuthSession:
        """Atomically tie the session to the browser whose cookie hashes to `browser_hash`, the first time;
        again for that same browser, a no-op. Raises SessionUnavailable ("elsewhere": another browser has it)."""
        ...

    def consume(self, session_uri: str) -> OAuthSession:
        """Marks the session used, atomically, exactly once, and forgets its identifier; returns it as it
        was (with the identifier). Raises SessionUnavailable."""
        ...

    def release(self, session: OAuthSession) -> None:
        """Undo `consume` after a failure worth retrying (throttling), so the user can try again; a session
        burned in the meantime stays burned."""
        ...

    def burn(self, session_uri: str) -> None:
        """Make the session unusable for good and forget its identifier; an unknown session URI is stored as
        cancelled, so that recording it later cannot start it afresh."""
        ...


def why_unusable(session: OAuthSession | None) -> Reason | None:
    """Why `session` cannot be used, or None. Checked inside a transaction, raised after it, so that the
    transaction's purge commits either way."""
    if session is None:
        return "unknown"
    if session.used_at is not None:
        return "used"
    if session.expired:
        return "expired"
    return None


def usable(session: OAuthSession | None, reason: Reason | None = None) -> OAuthSession:
    """`session`, or SessionUnavailable for `reason` or for why it is unusable."""
    reason = reason or why_unusable(session)
    if reason is not None or session is None:
        raise SessionUnavailable(reason or "unknown")
    return session
