"""Where the refresh token lives between runs: the OS keyring (`keyring`: macOS Keychain, Windows Credential
Locker, the Secret Service on Linux desktops), else a 0600 file in the user's config directory.

A keyring replaces writing our own per-OS credential storage. Where no keyring backend exists (a headless
Linux box: keyring's `fail` backend), the file fallback is used and said once on stderr. Nothing here prints
or logs a token."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

SERVICE = "mcp-connect"
HOME_VARIABLE = "MCP_CONNECT_HOME"
"""Overrides the folder of the fallback file (and nothing else)."""


def config_dir() -> Path:
    """The user's config folder for mcp-connect: MCP_CONNECT_HOME, else the platform's usual place."""
    if override := os.environ.get(HOME_VARIABLE):
        return Path(override)
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming") / "mcp-connect"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "mcp-connect"
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "mcp-connect"


class Store(Protocol):
    description: str

    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, value: dict[str, Any]) -> None: ...

    def delete(self, key: str) -> bool: ...


@dataclass
class KeyringStore:
    """One keyring entry per (issuer, client): service `mcp-connect`, the key as user name, JSON as secret."""

    backend: Any
    description: str = "the OS keyring"

    def get(self, key: str) -> dict[str, Any] | None:
        text = self.backend.get_password(SERVICE, key)
        return _parsed(text)

    def put(self, key: str, value: dict[str, Any]) -> None:
        self.backend.set_password(SERVICE, key, json.dumps(value))

    def delete(self, key: str) -> bool:
        from keyring.errors import PasswordDeleteError

        try:
            self.backend.delete_password(SERVICE, key)
        except PasswordDeleteError:
            return False
        return True


@dataclass
class FileStore:
    """A JSON file, mode 0600 in a 0700 folder, replaced atomically on every write."""

    path: Path
    description: str = field(init=False)

    def __post_init__(self) -> None:
        self.description = f"the file {self.path} (mode 0600)"

    def _all(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str) -> dict[str, Any] | None:
        value = self._all().get(key)
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        data = self._all()
        data[key] = value
        self._write(data)

    def delete(self, key: str) -> bool:
        data = self._all()
        if data.pop(key, None) is None:
            return False
        self._write(data)
        return True

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")  # 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _parsed(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def keyring_backend() -> Any | None:
    """The keyring backend in use, or None when keyring has none that works (its `fail` backend)."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return None
    chained = getattr(backend, "backends", None)
    if chained is not None and not chained:
        return None
    return backend


def open_store(*, say: Callable[[str], None], use_keyring: bool = True) -> Store:
    """The keyring when one exists (and `use_keyring`), else the fallback file (said once, through `say`)."""
    chosen = keyring_backend() if use_keyring else None
    if chosen is not None:
        return KeyringStore(chosen)
    store = FileStore(config_dir() / "credentials.json")
    say(f"mcp-connect: no OS keyring is available; keeping the sign-in in {store.description}")
    return store


@contextmanager
def across_processes() -> Iterator[None]:
    """Held while a refresh token is read, used and replaced: two mcp-connect processes of one user (two MCP
    clients open) would otherwise present the same refresh token twice, and a server that rotates refresh
    tokens takes the second use as theft and revokes the whole family (RFC 9700 section 4.14.2). An
    advisory lock on a file in the config folder (POSIX; on Windows nothing is held)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(folder / "refresh.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
