"""The store of OAuth sessions shared by `mcp-server` (writes) and `oauth-callback` (reads, consumes).

When the gateway answers -32042, the MCP server records `session URI -> initiator` here, with
AgentCore's authorization URL and the hash of the one-time consent link it hands out instead
(handoff/links.py). The callback binds the session to the first browser that opens that link (the
hash of a cookie it sets), and later completes it only for that browser and the initiator. One
schema, one module, used by both. SQLite by default (one host, several processes: WAL + busy
timeout, and each change is one atomic transaction); `SessionStore` is the interface a network
store implements.

The initiator of a CUSTOM_JWT session is the user's bearer token, a secret at rest. It is kept only
while the session can still be completed:

- the file is created 0600 with O_EXCL|O_NOFOLLOW; an existing file that other users can read or
  write, that another user owns, or that is a link or not a regular file is refused (SessionStoreError);
- `consume` and `burn` blank the identifier and the authorization URL (`release` puts the identifier
  back after a retryable failure);
- every call blanks the identifiers of expired sessions and deletes rows a further TTL later (kept
  that long only so that a late click says "expired" or "already used" rather than "unknown");
- `secure_delete` zeroes what SQLite frees, and the WAL is checkpointed (TRUNCATE) after each blanking
  or deletion, so an old value survives neither in the database's free space nor in the WAL.
"""

from __future__ import annotations

import hmac
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
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
        return found

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


def default_store_path(config_path: Path) -> Path:
    """Next to config.json, so the server and the callback find the same file by default."""
    return config_path.resolve().parent / "oauth-sessions.sqlite3"


def open_store(*, table: str | None, region: str, config_path: Path, path: Path | None = None) -> SessionStore:
    """The store both programs share: the SQLite file `path` when given (--session-store), else the stack's
    DynamoDB `table` when config.json names one (the server on AgentCore Runtime, the callback elsewhere),
    else the SQLite file beside config.json. Raises SessionStoreError."""
    if path is None and table is not None:
        from handoff.dynamodb_sessions import DynamoDbSessionStore

        return DynamoDbSessionStore(table, region=region)
    return SqliteSessionStore(path or default_store_path(config_path))
