"""The store of OAuth sessions shared by `mcp-server` (writes) and `oauth-callback` (reads, consumes).

When the gateway answers -32042, the MCP server records `session URI -> initiator` here; the
callback later binds the consent to exactly that initiator. One schema, one module, used by both.
SQLite by default (one host, several processes: WAL + busy timeout, and `consume` is one atomic
transaction); `SessionStore` is the small interface a network store would implement.

The initiator of a CUSTOM_JWT session is the user's bearer token, a secret at rest. It is kept only
while the session can still be completed:

- the file is created 0600 with O_EXCL|O_NOFOLLOW; an existing file that other users can read or
  write, that another user owns, or that is a link or not a regular file is refused (SessionStoreError);
- `consume` and `burn` blank the identifier (`release` puts it back after a retryable failure);
- every call blanks the identifiers of expired sessions and deletes rows a further TTL later (kept
  that long only so that a late click says "expired" or "already used" rather than "unknown");
- `secure_delete` zeroes what SQLite frees, and the WAL is checkpointed (TRUNCATE) after each blanking
  or deletion, so an old value survives neither in the database's free space nor in the WAL.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from handoff.callers import IdentifierKind

SESSION_TTL_SECONDS = 600.0
TOMBSTONE_SECONDS = 600.0
"""How long a used or expired session's row (without its identifier) is kept after it expired."""


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


class SessionStoreError(Exception):
    """The store cannot be used safely or at all; the message names the file and the fix."""


class SessionStore(Protocol):
    def record(
        self, *, session_uri: str, identifier_kind: IdentifierKind, identifier: str, display_name: str
    ) -> OAuthSession: ...

    def get(self, session_uri: str) -> OAuthSession:
        """Raises SessionUnavailable."""
        ...

    def consume(self, session_uri: str) -> OAuthSession:
        """Marks the session used, atomically, exactly once, and forgets its identifier; returns it as it
        was (with the identifier). Raises SessionUnavailable."""
        ...

    def release(self, session: OAuthSession) -> None:
        """Undo `consume` after a failure worth retrying (throttling), so the user can try again."""
        ...

    def burn(self, session_uri: str) -> None:
        """Make the session unusable for good and forget its identifier (unknown sessions: nothing)."""
        ...


COLUMNS = ("session_uri", "identifier_kind", "identifier", "display_name", "created_at", "expires_at", "used_at")
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
        self, *, session_uri: str, identifier_kind: IdentifierKind, identifier: str, display_name: str
    ) -> OAuthSession:
        now = time.time()
        session = OAuthSession(session_uri, identifier_kind, identifier, display_name, now, now + self.ttl)
        with self._writing(now) as db:
            db.execute(
                "INSERT OR REPLACE INTO oauth_sessions VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (session_uri, identifier_kind, identifier, display_name, session.created_at, session.expires_at),
            )
        return session

    def get(self, session_uri: str) -> OAuthSession:
        _check_storable(session_uri)
        with self._writing(time.time()) as db:
            row = db.execute("SELECT * FROM oauth_sessions WHERE session_uri = ?", (session_uri,)).fetchone()
        return _usable(_session(row) if row else None)

    def consume(self, session_uri: str) -> OAuthSession:
        _check_storable(session_uri)
        now = time.time()
        with self._writing(now, forgets=True) as db:
            row = db.execute("SELECT * FROM oauth_sessions WHERE session_uri = ?", (session_uri,)).fetchone()
            session = _usable(_session(row) if row else None)
            db.execute(
                "UPDATE oauth_sessions SET used_at = ?, identifier = '' WHERE session_uri = ?", (now, session_uri)
            )
        return session

    def release(self, session: OAuthSession) -> None:
        now = time.time()
        with self._writing(now) as db:
            db.execute(
                "UPDATE oauth_sessions SET used_at = NULL, identifier = ? "
                "WHERE session_uri = ? AND used_at IS NOT NULL AND expires_at > ?",
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
                "UPDATE oauth_sessions SET used_at = COALESCE(used_at, ?), identifier = '' WHERE session_uri = ?",
                (now, session_uri),
            )

    @contextmanager
    def _writing(self, now: float, *, forgets: bool = False) -> Iterator[sqlite3.Connection]:
        """A transaction that first purges what has expired; the WAL is checkpointed after it when
        anything was forgotten (by the purge, or by the caller: `forgets`)."""
        with self._transaction() as db:
            blanked = db.execute(
                "UPDATE oauth_sessions SET identifier = '' WHERE identifier != '' AND expires_at <= ?", (now,)
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


def create_private_file(path: Path) -> None:
    """Create `path` 0600 (O_EXCL|O_NOFOLLOW: never through a link), or check that the existing file, and
    SQLite's -wal/-shm files beside it, are regular files of this user that no one else may read or write."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        check_private_file(path)
    except OSError as exc:
        raise SessionStoreError(f"cannot create the OAuth session store {path}: {exc.strerror}") from exc
    else:
        os.close(descriptor)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if os.path.lexists(companion):
            check_private_file(companion)


def check_private_file(path: Path) -> None:
    """Raises SessionStoreError, with the fix, unless `path` is a regular file only this user can use."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise SessionStoreError(f"cannot inspect the OAuth session store {path}: {exc.strerror}") from exc
    if stat.S_ISLNK(info.st_mode):
        raise SessionStoreError(
            f"{path} is a symbolic link; the OAuth session store must be a regular file (remove the link)"
        )
    if not stat.S_ISREG(info.st_mode):
        raise SessionStoreError(f"{path} is not a regular file; point --session-store at a file (a new one is fine)")
    if info.st_uid != os.geteuid():
        raise SessionStoreError(
            f"{path} belongs to user id {info.st_uid}, not to this user ({os.geteuid()}); it holds users' tokens, "
            "so run mcp-server and oauth-callback as its owner, or use a store of your own (--session-store)"
        )
    if info.st_mode & 0o077:
        raise SessionStoreError(
            f"{path} can be read or written by other users (mode {stat.S_IMODE(info.st_mode):04o}); it holds "
            f"users' tokens: `chmod 600 {path}`"
        )


def _check_storable(session_uri: str) -> None:
    """A URI SQLite cannot hold (a lone surrogate) names no stored session."""
    try:
        session_uri.encode("utf-8")
    except UnicodeEncodeError:
        raise SessionUnavailable("unknown") from None


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
