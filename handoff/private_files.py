"""Files only this user may use: the SQLite session store (handoff/sqlite_sessions.py) holds users' bearer
tokens, so it is created 0600 without following links, and an existing one (with SQLite's -wal/-shm
beside it) is checked before it is opened. Failures are SessionStoreError, with the fix."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from handoff.sessions import SessionStoreError


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
