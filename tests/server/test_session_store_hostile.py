"""The OAuth session store (handoff/sqlite_sessions.py) against hostile files and values: 24 hostile inputs
(16 files or file-system states at start-up, 8 values passed to its calls), each refused with a clear
SessionStoreError or handled, never a traceback from the programs and never a token left at rest.

Also the at-rest rules themselves: the identifier (a user's JWT) is blanked when a session is consumed
or burned and when it expires, rows are purged, and the WAL is checkpointed, so the token's bytes are
found in none of the store's files afterwards.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from handoff import sqlite_sessions
from handoff.sessions import SessionStoreError, SessionUnavailable
from handoff.sqlite_sessions import SqliteSessionStore
from tests.server.conftest import write_config
from tests.sessions import record as recorded

URI = "urn:ietf:params:oauth:request_uri:hostile"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSIsInBhZGRpbmciOiJ4eHh4eHh4eHh4eHh4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
HOSTILE_COUNT = 24


def leftovers(folder: Path, secret: str) -> list[str]:
    """Files under `folder` (the store, its -wal and -shm) still holding `secret`'s bytes."""
    return [p.name for p in folder.iterdir() if p.is_file() and secret.encode() in p.read_bytes()]


def record(store: SqliteSessionStore, uri: str = URI, identifier: str = TOKEN) -> None:
    recorded(store, uri, identifier)


# --- tokens at rest ---------------------------------------------------------------------------------


def test_consumed_session_leaves_no_token_in_any_file(tmp_path: Path) -> None:
    store = SqliteSessionStore(tmp_path / "s.sqlite3")
    record(store)
    assert leftovers(tmp_path, TOKEN)  # it is there while the session can be completed
    assert store.consume(URI).identifier == TOKEN  # the caller still gets it, once
    assert leftovers(tmp_path, TOKEN) == []
    with pytest.raises(SessionUnavailable, match="used"):
        store.get(URI)


def test_burned_session_leaves_no_token_and_cannot_be_completed(tmp_path: Path) -> None:
    store = SqliteSessionStore(tmp_path / "s.sqlite3")
    record(store)
    store.burn(URI)
    assert leftovers(tmp_path, TOKEN) == []
    with pytest.raises(SessionUnavailable, match="used"):
        store.consume(URI)
    store.burn("urn:ietf:params:oauth:request_uri:never-recorded")  # nothing to burn: no error


def test_release_after_a_retryable_failure_restores_the_identifier(tmp_path: Path) -> None:
    store = SqliteSessionStore(tmp_path / "s.sqlite3")
    record(store)
    session = store.consume(URI)
    store.release(session)
    assert store.consume(URI).identifier == TOKEN


def test_expired_sessions_lose_their_token_on_the_next_call_of_any_kind(tmp_path: Path) -> None:
    recorded(SqliteSessionStore(tmp_path / "s.sqlite3", ttl=-1), URI, TOKEN)
    store = SqliteSessionStore(tmp_path / "s.sqlite3")
    with pytest.raises(SessionUnavailable, match="unknown"):
        store.get("urn:ietf:params:oauth:request_uri:another")
    assert leftovers(tmp_path, TOKEN) == []
    with pytest.raises(SessionUnavailable, match="expired"):  # the row stays a while, to say so
        store.get(URI)


def test_old_rows_are_purged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SqliteSessionStore(tmp_path / "s.sqlite3")
    record(store)
    store.consume(URI)
    later = time.time() + store.ttl + sqlite_sessions.TOMBSTONE_SECONDS + 1
    monkeypatch.setattr(sqlite_sessions.time, "time", lambda: later)
    with pytest.raises(SessionUnavailable, match="unknown"):
        store.get(URI)
    rows = sqlite3.connect(store.path).execute("SELECT COUNT(*) FROM oauth_sessions").fetchone()
    assert rows == (0,)


def test_store_is_created_private_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        store = SqliteSessionStore(tmp_path / "new" / "s.sqlite3")
        record(store)
    finally:
        os.umask(previous)
    for path in store.path.parent.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


# --- hostile files at start-up (16) -------------------------------------------------------------------


def _write(content: bytes, mode: int = 0o600) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        path.write_bytes(content)
        path.chmod(mode)
        return path

    return make


def _valid_store(mode: int) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        SqliteSessionStore(path)
        path.chmod(mode)
        return path

    return make


def _truncated(path: Path) -> Path:
    store = SqliteSessionStore(path)
    for i in range(200):
        record(store, f"{URI}-{i}", "x" * 500)
    store.consume(f"{URI}-0")  # checkpoints: everything is in the main file
    data = path.read_bytes()
    for companion in ("-wal", "-shm"):
        Path(f"{path}{companion}").unlink(missing_ok=True)
    path.write_bytes(data[: len(data) // 3])
    return path


def _other_layout(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE oauth_sessions (session_uri TEXT PRIMARY KEY, token TEXT)")
    path.chmod(0o600)
    return path


def _symlink_to_private_file(path: Path) -> Path:
    target = path.with_name("elsewhere.sqlite3")
    SqliteSessionStore(target)
    path.symlink_to(target)
    return path


def _dangling_symlink(path: Path) -> Path:
    path.symlink_to(path.with_name("planted-by-someone-else"))
    return path


def _directory(path: Path) -> Path:
    path.mkdir()
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path, 0o600)
    return path


def _owned_by_someone_else(path: Path) -> Path:
    SqliteSessionStore(path)
    os.chown(path, 65534, 65534)
    return path


def _wal_is_a_symlink(path: Path) -> Path:
    SqliteSessionStore(path)
    Path(f"{path}-wal").unlink(missing_ok=True)
    Path(f"{path}-wal").symlink_to(path.with_name("attacker-wal"))
    return path


def _wal_world_readable(path: Path) -> Path:
    store = SqliteSessionStore(path)
    record(store)
    Path(f"{path}-wal").chmod(0o644)
    return path


HOSTILE_FILES = [
    pytest.param(_write(b"this is not a database, just text\n" * 50), "not a usable", id="text-file"),
    pytest.param(_write(os.urandom(8192)), "not a usable", id="random-bytes"),
    pytest.param(_write(b"SQLite format 3\x00" + b"\xff" * 84), "not a usable", id="header-then-garbage"),
    pytest.param(_truncated, "damaged|not a usable", id="truncated-database"),
    pytest.param(_other_layout, "another layout", id="other-table-layout"),
    pytest.param(_valid_store(0o644), "chmod 600", id="mode-0644"),
    pytest.param(_valid_store(0o666), "chmod 600", id="mode-0666"),
    pytest.param(_valid_store(0o640), "chmod 600", id="mode-0640-group"),
    pytest.param(_valid_store(0o602), "chmod 600", id="mode-0602-world-writable"),
    pytest.param(_owned_by_someone_else, "belongs to user id 65534", id="other-owner"),
    pytest.param(_symlink_to_private_file, "symbolic link", id="symlink"),
    pytest.param(_dangling_symlink, "symbolic link", id="dangling-symlink"),
    pytest.param(_directory, "not a regular file", id="directory"),
    pytest.param(_fifo, "not a regular file", id="fifo"),
    pytest.param(_wal_is_a_symlink, "symbolic link", id="wal-symlink"),
    pytest.param(_wal_world_readable, "chmod 600", id="wal-mode-0644"),
]


@pytest.mark.parametrize(("make", "message"), HOSTILE_FILES)
def test_hostile_store_file_is_refused_with_a_clear_error(
    tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    path = make(tmp_path / "s.sqlite3")
    outcome: list[BaseException | None] = []
    worker = threading.Thread(target=lambda: outcome.append(_open(path)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert outcome, "opening the store hung (a FIFO must not be opened)"
    error = outcome[0]
    assert isinstance(error, SessionStoreError), error
    assert str(path) in str(error)
    import re

    assert re.search(message, str(error)), str(error)
    assert not (tmp_path / "planted-by-someone-else").exists()


def _open(path: Path) -> BaseException | None:
    try:
        SqliteSessionStore(path)
    except BaseException as exc:  # noqa: BLE001 - the test inspects whatever it was
        return exc
    return None


# --- hostile values (8) -------------------------------------------------------------------------------

HOSTILE_VALUES = [
    pytest.param("urn:ietf:params:oauth:request_uri:x' OR '1'='1", id="sql-injection-uri"),
    pytest.param("urn:ietf:params:oauth:request_uri:x'); DROP TABLE oauth_sessions; --", id="sql-drop-uri"),
    pytest.param("urn:ietf:params:oauth:request_uri:nul\x00byte", id="nul-byte-uri"),
    pytest.param("urn:ietf:params:oauth:request_uri:" + "a" * 100_000, id="huge-uri"),
    pytest.param("urn:ietf:params:oauth:request_uri:\u202eevil\U0001f600", id="bidi-emoji-uri"),
    pytest.param("%", id="like-wildcard"),
    pytest.param("", id="empty"),
    pytest.param("urn:ietf:params:oauth:request_uri:\udcff", id="lone-surrogate"),
]


@pytest.mark.parametrize("uri", HOSTILE_VALUES)
def test_hostile_values_touch_only_their_own_row(tmp_path: Path, uri: str) -> None:
    store = SqliteSessionStore(tmp_path / "s.sqlite3")
    record(store)  # a bystander session that must survive untouched
    try:
        recorded(store, uri, TOKEN + "2", name=uri[:50])
    except (UnicodeEncodeError, ValueError):
        pass  # refused by sqlite3's binding: fine, nothing stored
    else:
        assert store.get(uri).session_uri == uri
        assert store.consume(uri).identifier == TOKEN + "2"
        with pytest.raises(SessionUnavailable):
            store.consume(uri)
    with pytest.raises(SessionUnavailable, match="unknown"):
        store.get(uri + "-other")
    assert store.get(URI).identifier == TOKEN
    assert leftovers(tmp_path, TOKEN + "2") == []


def test_the_docstring_counts_the_hostile_inputs() -> None:
    assert len(HOSTILE_FILES) + len(HOSTILE_VALUES) == HOSTILE_COUNT
    assert f"{HOSTILE_COUNT} hostile inputs" in (__doc__ or "")


# --- the programs: a clean error, no traceback ----------------------------------------------------------


@pytest.mark.parametrize("program", ["server", "callback"])
@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(_write(b"garbage" * 100), "not a usable OAuth session store", id="corrupt"),
        pytest.param(_valid_store(0o666), "chmod 600", id="world-readable"),
    ],
)
def test_programs_refuse_a_bad_store_without_a_traceback(
    tmp_path: Path, program: str, make: Callable[[Path], Path], message: str
) -> None:
    store = make(tmp_path / "store.sqlite3")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            program,
            "--config",
            str(write_config(tmp_path)),
            "--session-store",
            str(store),
            *(["--no-sign-in"] if program == "callback" else []),  # this config names no sign-in client
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AWS_REGION": "us-east-1"},
    )
    assert result.returncode == 1, result.stderr
    assert message in result.stderr and str(store) in result.stderr
    assert "Traceback" not in result.stderr
