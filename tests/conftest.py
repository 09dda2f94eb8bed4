"""Shared fixtures. Every test talks only to loopback: a connect() elsewhere fails loudly."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from commands.reconcile import main
from reconciler.settings import EngineSettings
from sandbox.server import Sandbox
from tests.asgi import fixed_port

ROOT = Path(__file__).resolve().parent.parent
SECRET = "gh-client-secret-0123456789abcdef"
STACK_ENV = {
    "GITHUB_CLIENT_ID": "Iv1.sandboxclient",
    "GITHUB_CLIENT_SECRET": SECRET,
    "OIDC_DISCOVERY_URL": "http://127.0.0.1:9/.well-known/openid-configuration",
    "OIDC_CLIENT_ID": "demo-client",
    "SERVER_SOURCE": str(ROOT),  # the shipped stack packages server/ from here (stack.yaml's server_code)
}
_real_connect = socket.socket.connect
SLOW = (
    "tests/e2e/",
    "tests/containers/",
    "tests/callback/test_browser.py",
    "tests/server/test_workers.py",
    "tests/sandbox/test_runtime_packaged_server.py",
)
"""The end-to-end tier (demo subprocesses, proxies, browsers, containers, workers, runtime processes), marked
`slow` by path: `uv run pytest` runs it; `uv run pytest -m "not slow"` is the quick loop while editing."""


LONGEST_FIRST = (
    "tests/lifecycle/test_convergence.py",
    "tests/e2e/test_demo.py",
    "tests/lifecycle/test_lifecycle.py",
    "tests/acceptance/test_lifecycle.py",
    "tests/kinds/test_runtime_stack.py",
    "tests/e2e/test_runtime_stack_e2e.py",
    "tests/server/test_log_redaction.py",
    "tests/callback/test_log_redaction.py",
    "tests/lifecycle/test_lock.py",
)
"""Files that take a worker longest (`.ci/run` prints the slowest tests), handed out first: xdist's loadfile
scheduling gives files out in collection order, and a long file started last would keep one core busy alone."""


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than cores. A quarter of a worker's time is spent waiting (subprocesses
    starting, servers answering, polls): with one worker per core the 2-core machine was 78% busy (CPU 757 s
    over 488 s), and a third worker took the suite from 488 s to 406 s, back to back on the same commit."""
    return len(os.sched_getaffinity(0)) + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(SLOW):
            item.add_marker(pytest.mark.slow)
    rank = {path: index for index, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable: the rest keep their order


def _loopback_only(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            local = ipaddress.ip_address(host).is_loopback
        except ValueError:
            local = host == "localhost"
        if not local:
            raise AssertionError(f"test tried to reach {address}: only loopback is allowed")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    loopback_only(monkeypatch)


def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No connection but to loopback, and no AWS credentials or profile from the environment: every test's
    default (tests/acceptance lifts it only for its explicit opt-in run against AWS)."""
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


def _point_at(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """boto3 and the stack's variables pointed at the sandbox, through the environment."""
    issuer = {
        "OIDC_DISCOVERY_URL": f"{sandbox.url}/oidc/.well-known/openid-configuration",
        "OIDC_CLIENT_ID": "sandbox-demo",
    }
    for key, value in {**sandbox.environ, **STACK_ENV, **issuer}.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def sandbox(sandbox_server: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """A clean sandbox account, with boto3 pointed at it through the environment."""
    sandbox_server.reset()
    _point_at(sandbox_server, monkeypatch)
    return sandbox_server


@dataclass
class _Applied:
    folder: Path
    resets: int
    fingerprint: tuple[Any, ...]


@pytest.fixture(scope="session")
def callback_port() -> int:
    """The port of the callback app for the whole run: the shared stack's return URL points at it."""
    return fixed_port()


@pytest.fixture(scope="session")
def _applied_cache() -> dict[str, _Applied]:
    return {}


@pytest.fixture
def applied_stack(
    sandbox_server: Sandbox,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    callback_port: int,
    _applied_cache: dict[str, _Applied],
) -> Path:
    """The shipped stack without its Runtime part, applied once per worker and kept while tests only read AWS
    (their users' sessions and links are forgotten before each test: Sandbox.forget_users). Returns the test's
    own folder (the cwd) with stack.yaml, openapi/ and config.json as apply wrote them, so every test has a
    fresh session store. A test that changes the account, or a reset by any other test, is noticed by the next
    one (the sandbox's reset count and tests.sandbox.helpers.account_fingerprint), which applies again."""
    from tests.sandbox.helpers import account_fingerprint, apply_stack

    _point_at(sandbox_server, monkeypatch)
    monkeypatch.setenv("CALLBACK_URL", f"http://127.0.0.1:{callback_port}/oauth/callback")
    cached = _applied_cache.get("stack")
    if cached is None or cached.resets != sandbox_server.resets or cached.fingerprint != account_fingerprint():
        sandbox_server.reset()
        folder = tmp_path_factory.mktemp("applied")
        _copy_stack_files(ROOT, folder)
        monkeypatch.chdir(folder)
        apply_stack()
        cached = _applied_cache["stack"] = _Applied(folder, sandbox_server.resets, account_fingerprint())
    else:
        sandbox_server.forget_users()
    _copy_stack_files(cached.folder, tmp_path)
    shutil.copy(cached.folder / "config.json", tmp_path / "config.json")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _copy_stack_files(source: Path, folder: Path) -> None:
    shutil.copy(source / "stack.yaml", folder / "stack.yaml")
    shutil.copytree(source / "openapi", folder / "openapi", dirs_exist_ok=True)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped stack.yaml and OpenAPI file; the cwd for the CLI."""
    _copy_stack_files(ROOT, tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


FAST = EngineSettings(poll_initial=0.01, poll_max=0.05, lock_poll=0.05)
"""The sandbox answers at once: tests poll it every few milliseconds instead of the defaults' 0.5-10 s."""


def reconcile(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False, obj=FAST)


def edit_stack(workdir: Path, old: str, new: str) -> None:
    path = workdir / "stack.yaml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
