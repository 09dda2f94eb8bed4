"""The OAuth session store in one SQLite file (handoff/sessions.py has the interface and the record): the
default, for `mcp-server` and `oauth-callback` on one host, in several processes (WAL + busy timeout, and
each change is one atomic transaction).

The initiator's token (a CUSTOM_JWT session's identifier) is kept only while the session can still be
completed:

- the file is created 0600 with O_EXCL|O_NOFOLLOW; an existing file that other users can read or
  write, that another user owns, or that is a link or not a regular file is refused (SessionStoreError,
  handoff/private_files.py);
- `consume` and `burn` blank the identifier and the authorization URL (`release` puts the identifier
  back after a retryable failure);
- every call blanks the identifiers of expired sessions and deletes rows a further TTL later (kept
  that long only so that a late click says "expired" or "already used" rather than "unknown"), and the
  process that records a session blanks it at its expiry without waiting for a call (handoff/expiry.py);
- `secure_delete` zeroes what SQLite frees, and the WAL is checkpointed (TRUNCATE) after each blanking
  or deletion, so an old value survives neither in the database's free space nor in the WAL.
"""

from __future__ import annotations

import hmac
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from handoff.callers import IdentifierKind
from handoff.expiry import blank_at
from handoff.private_files import create_private_file
from handoff.sessions import (
    SESSION_TTL_SECONDS,
    OAuthSession,
    SessionStoreError,
    SessionUnavailable,
    usable,
    why_unusable,
)

TOMBSTONE_SECONDS = 600.0
"""How long a used or expired session's row (without its identifier) is kept after it expired."""

FIRST_COLUMNS = ("session_uri", "identifier_kind", "identifier", "display_name", "created_at", "expires_at", "used_at")
ADDED_COLUMNS = {
    "authorization_url": "TEXT NOT NULL DEFAULT ''",
    "link_hash": "TEXT",
    "browser_hash": "TEXT",
    "burned": "INTEGER NOT NULL DEFAULT 0",
}
"""Columns added after the first layout, in order: a store file of an earlier layout gains the ones it lacks
(ALTER TABLE) when opened."""
COLUMNS = (*FIRST_COLUMNS, *ADDED_COLUMNS)
SCHEMA = """
CREATE TABLE IF NOT EXISTS oauth_sessions (
    session_uri       TEXT PRIMARY KEY,
    identifier_kind   TEXT NOT NULL CHECK (identifier_kind IN ('userToken', 'userId')),
    identifier        TEXT NOT NULL,
    display_name      TEXT NOT NULL,
    created_at        REAL NOT NULL,
    expires_at        REAL NOT NULL,
    used_at           REAL,
    authorization_url TEXT NOT NULL DEFAULT '',
    link_hash         TEXT,
    browser_hash      TEXT,
    burned            INTEGER NOT NULL DEFAULT 0
)
"""
LINK_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS oauth_sessions_link ON oauth_sessions (link_hash)"


class SqliteSessionStore:
    def __init__(self, path: Path, *, ttl: float = SESSION_TTL_SECONDS):
        """Raises SessionStoreError when the file is unsafe (permissions, owner, link) or not a session store."""
        self.path, self.ttl = path, ttl
        self._local = threading.local()
        create_private_file(path)
        try:
            connection = self._connection()
            connection.execute("PRAGMA journal_mode=WAL")
            with self._transaction() as db:
                db.execute(SCHEMA)
                check = db.execute("PRAGMA quick_check").fetchone()
                columns = tuple(str(row[1]) for row in db.execute("PRAGMA table_info(oauth_sessions)"))
                earlier = len(FIRST_COLUMNS) <= len(columns) < len(COLUMNS) and COLUMNS[: len(columns)] == columns
                if check == ("ok",) and earlier:
                    for name in COLUMNS[len(columns) :]:
                        db.execute(f"ALTER TABLE oauth_sessions ADD COLUMN {name} {ADDED_COLUMNS[name]}")
                    columns = COLUMNS
                if columns == COLUMNS:
                    db.execute(LINK_INDEX)
        except sqlite3.DatabaseError as exc:
            self._close()
            raise SessionStoreError(
                f"{path} is not a usable OAuth session store (SQLite: {exc}); move it away and a new one is created"
            ) from exc
        if check != ("ok",) or columns != COLUMNS:
            self._close()
            problem = "is damaged" if check != ("ok",) else "has another layout (another program or version wrote it)"
            raise SessionStoreError(f"{path} {problem}; move it away and a new one is created")

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
        now = time.time()
        session = OAuthSession(
            session_uri,
            identifier_kind,
            identifier,
            display_name,
            now,
            now + self.ttl,
            authorization_url=authorization_url,
            link_hash=link_hash,
        )
        with self._writing(now) as db:
            # A session URI recorded again (AgentCore resuming a pending session) keeps its times and its
            # browser, and an ended one (used, cancelled) stays ended: nothing revives a cancelled session.
            recorded = db.execute(
                f"INSERT INTO oauth_sessions ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL, 0) "
                "ON CONFLICT (session_uri) DO UPDATE SET identifier_kind = excluded.identifier_kind, "
                "identifier = excluded.identifier, display_name = excluded.display_name, "
                "authorization_url = excluded.authorization_url, link_hash = excluded.link_hash "
                "WHERE oauth_sessions.used_at IS NULL AND oauth_sessions.burned = 0",
                (
                    session_uri,
                    identifier_kind,
                    identifier,
                    display_name,
                    session.created_at,
                    session.expires_at,
                    authorization_url,
                    link_hash,
                ),
            ).rowcount
            found = _select(db, "session_uri", session_uri)
        if not recorded or found is None:
            raise SessionUnavailable("used")
        blank_at(found.expires_at, self.blank_expired, session_uri)
        return found

    def blank_expired(self, session_uri: str) -> None:
        """Forget the initiators of the sessions that have expired (all of them: one statement), now."""
        with self._writing(time.time()):
            pass

    def get(self, session_uri: str) -> OAuthSession:
        _check_storable(session_uri)
        with self._writing(time.time()) as db:  # the purge commits even when the session is unusable
            found = _select(db, "session_uri", session_uri)
        return usable(found)

    def get_by_link(self, link_hash: str) -> OAuthSession:
        with self._writing(time.time()) as db:
            found = _select(db, "link_hash", link_hash)
        return usable(found)

    def bind_browser(self, session_uri: str, browser_hash: str) -> OAuthSession:
        _check_storable(session_uri)
        with self._writing(time.time()) as db:
            found = _select(db, "session_uri", session_uri)
            reason = why_unusable(found)
            if reason is None and found is not None:
                if found.browser_hash is None:
                    db.execute(
                        "UPDATE oauth_sessions SET browser_hash = ? WHERE session_uri = ?", (browser_hash, session_uri)
                    )
                elif not hmac.compare_digest(found.browser_hash, browser_hash):
                    reason = "elsewhere"
        return replace(usable(found, reason), browser_hash=browser_hash)

    def consume(self, session_uri: str) -> OAuthSession:
        _check_storable(session_uri)
        now = time.time()
        with self._writing(now, forgets=True) as db:
            found = _select(db, "session_uri", session_uri)
            if why_unusable(found) is None:
                db.execute(
                    "UPDATE oauth_sessions SET used_at = ?, identifier = '', authorization_url = '' "
                    "WHERE session_uri = ?",
                    (now, session_uri),
                )
        return usable(found)

    def release(self, session: OAuthSession) -> None:
        now = time.time()
        with self._writing(now) as db:
            db.execute(
                "UPDATE oauth_sessions SET used_at = NULL, identifier = ? "
                "WHERE session_uri = ? AND used_at IS NOT NULL AND burned = 0 AND expires_at > ?",
                (session.identifier, session.session_uri, now),
            )

    def burn(self, session_uri: str) -> None:
        try:
            _check_storable(session_uri)
        except SessionUnavailable:
            return
        now = time.time()
        with self._writing(now, forgets=True) as db:
            db.execute(
                "UPDATE oauth_sessions SET used_at = COALESCE(used_at, ?), identifier = '', authorization_url = '', "
                "burned = 1 WHERE session_uri = ?",
                (now, session_uri),
            )
            # Unknown: a marker, so that a later record of this session URI cannot start it afresh.
            db.execute(
                f"INSERT OR IGNORE INTO oauth_sessions ({', '.join(COLUMNS)}) "
                "VALUES (?, 'userId', '', '', ?, ?, ?, '', NULL, NULL, 1)",
                (session_uri, now, now + self.ttl, now),
            )

    @contextmanager
    def _writing(self, now: float, *, forgets: bool = False) -> Iterator[sqlite3.Connection]:
        """A transaction that first purges what has expired; the WAL is checkpointed after it when
        anything was forgotten (by the purge, or by the caller: `forgets`)."""
        with self._transaction() as db:
            blanked = db.execute(
                "UPDATE oauth_sessions SET identifier = '', authorization_url = '' "
                "WHERE (identifier != '' OR authorization_url != '') AND expires_at <= ?",
                (now,),
            ).rowcount
            deleted = db.execute(
                "DELETE FROM oauth_sessions WHERE expires_at <= ?", (now - TOMBSTONE_SECONDS,)
            ).rowcount
            yield db
        if forgets or blanked or deleted:
            self._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _connection(self) -> sqlite3.Connection:
        """One connection per thread (sqlite3 connections must not cross threads)."""
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
            connection.execute("PRAGMA busy_timeout = 10000")
            connection.execute("PRAGMA secure_delete = ON")
            self._local.connection = connection
        return connection

    def _close(self) -> None:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

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


def _check_storable(session_uri: str) -> None:
    """A URI SQLite cannot hold (a lone surrogate) names no stored session."""
    try:
        session_uri.encode("utf-8")
    except UnicodeEncodeError:
        raise SessionUnavailable("unknown") from None


def _select(db: sqlite3.Connection, column: Literal["session_uri", "link_hash"], value: str) -> OAuthSession | None:
    row = db.execute(f"SELECT {', '.join(COLUMNS)} FROM oauth_sessions WHERE {column} = ?", (value,)).fetchone()
    return None if row is None else _session(row)


def _session(row: tuple[Any, ...]) -> OAuthSession:
    uri, kind, identifier, name, created, expires, used, authorization_url, link_hash, browser_hash, _ = row
    return OAuthSession(
        uri,
        kind,
        identifier,
        name,
        float(created),
        float(expires),
        None if used is None else float(used),
        authorization_url=authorization_url,
        link_hash=link_hash,
        browser_hash=browser_hash,
    )
