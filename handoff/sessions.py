"""The store of OAuth sessions shared by `mcp-server` (writes) and `oauth-callback` (reads, consumes).

When the gateway answers -32042, the MCP server records `session URI -> initiator` here; the
callback later binds the consent to exactly that initiator. One schema, one module, used by both.
SQLite by default (one host, several processes: WAL + busy timeout, and `consume` is one atomic
UPDATE); `SessionStore` is the small interface a network store would implement.

The initiator of a CUSTOM_JWT session is the user's bearer token, a secret at rest: the file is
created 0600 and rows are deleted once used or expired.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from handoff.callers import IdentifierKind

SESSION_TTL_SECONDS = 600.0


@dataclass(frozen=True)
class OAuthSession:
    session_uri: str
    identifier_kind: IdentifierKind
    identifier: str
    display_name: str
    created_at: float
    expires_at: float
    used_at: float | None = None

    @property
    def expired(self) -> bool:
        return time.time() >= self.expires_at


class SessionUnavailable(Exception):
    """Unknown, expired or already used: the user must call the tool again for a fresh link."""

    def __init__(self, reason: Literal["unknown", "expired", "used"]):
        super().__init__(reason)
        self.reason = reason


class SessionStore(Protocol):
    def record(
        self, *, session_uri: str, identifier_kind: IdentifierKind, identifier: str, display_name: str
    ) -> OAuthSession: ...

    def get(self, session_uri: str) -> OAuthSession:
        """Raises SessionUnavailable."""
        ...

    def consume(self, session_uri: str) -> OAuthSession:
        """Marks the session used, atomically, exactly once; raises SessionUnavailable."""
        ...

    def release(self, session_uri: str) -> None:
        """Undo `consume` after a failure worth retrying (throttling), so the user can try again."""
        ...


SCHEMA = """
CREATE TABLE IF NOT EXISTS oauth_sessions (
    session_uri     TEXT PRIMARY KEY,
    identifier_kind TEXT NOT NULL CHECK (identifier_kind IN ('userToken', 'userId')),
    identifier      TEXT NOT NULL,
    display_name    TEXT NOT NULL,
    created_at      REAL NOT NULL,
    expires_at      REAL NOT NULL,
    used_at         REAL
)
"""


class SqliteSessionStore:
    def __init__(self, path: Path, *, ttl: float = SESSION_TTL_SECONDS):
        self.path, self.ttl = path, ttl
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        self._connection().execute("PRAGMA journal_mode=WAL")
        with self._transaction() as db:
            db.execute(SCHEMA)

    def record(
        self, *, session_uri: str, identifier_kind: IdentifierKind, identifier: str, display_name: str
    ) -> OAuthSession:
        now = time.time()
        session = OAuthSession(session_uri, identifier_kind, identifier, display_name, now, now + self.ttl)
        with self._transaction() as db:
            db.execute("DELETE FROM oauth_sessions WHERE expires_at < ? OR used_at IS NOT NULL", (now - self.ttl,))
            db.execute(
                "INSERT OR REPLACE INTO oauth_sessions VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (
                    session.session_uri,
                    identifier_kind,
                    identifier,
                    display_name,
                    session.created_at,
                    session.expires_at,
                ),
            )
        return session

    def get(self, session_uri: str) -> OAuthSession:
        with self._transaction() as db:
            row = db.execute("SELECT * FROM oauth_sessions WHERE session_uri = ?", (session_uri,)).fetchone()
        return _usable(_session(row) if row else None)

    def consume(self, session_uri: str) -> OAuthSession:
        now = time.time()
        with self._transaction() as db:
            updated = db.execute(
                "UPDATE oauth_sessions SET used_at = ? WHERE session_uri = ? AND used_at IS NULL AND expires_at > ?",
                (now, session_uri, now),
            ).rowcount
            row = db.execute("SELECT * FROM oauth_sessions WHERE session_uri = ?", (session_uri,)).fetchone()
        if updated != 1:
            _usable(_session(row) if row else None)
            raise SessionUnavailable("used")
        return _session(row)

    def release(self, session_uri: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE oauth_sessions SET used_at = NULL WHERE session_uri = ?", (session_uri,))

    def _connection(self) -> sqlite3.Connection:
        """One connection per thread (sqlite3 connections must not cross threads)."""
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
            connection.execute("PRAGMA busy_timeout = 10000")
            self._local.connection = connection
        return connection

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: writers from other processes wait instead of interleaving."""
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")


def _session(row: tuple[Any, ...]) -> OAuthSession:
    uri, kind, identifier, name, created, expires, used = row
    return OAuthSession(
        uri, kind, identifier, name, float(created), float(expires), None if used is None else float(used)
    )


def _usable(session: OAuthSession | None) -> OAuthSession:
    if session is None:
        raise SessionUnavailable("unknown")
    if session.used_at is not None:
        raise SessionUnavailable("used")
    if session.expired:
        raise SessionUnavailable("expired")
    return session


def default_store_path(config_path: Path) -> Path:
    """Next to config.json, so the server and the callback find the same file by default."""
    return config_path.resolve().parent / "oauth-sessions.sqlite3"
