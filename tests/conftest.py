"""Shared fixtures. Every test talks only to loopback: a connect() elsewhere fails loudly."""

from __future__ import annotations

import ipaddress
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from commands.reconcile import main
from sandbox.server import Sandbox

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


@pytest.fixture
def sandbox(sandbox_server: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """A clean sandbox account, with boto3 pointed at it through the environment."""
    sandbox_server.reset()
    issuer = {
        "OIDC_DISCOVERY_URL": f"{sandbox_server.url}/oidc/.well-known/openid-configuration",
        "OIDC_CLIENT_ID": "sandbox-demo",
    }
    for key, value in {**sandbox_server.environ, **STACK_ENV, **issuer}.items():
        monkeypatch.setenv(key, value)
    return sandbox_server


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped stack.yaml and OpenAPI file; the cwd for the CLI."""
    shutil.copy(ROOT / "stack.yaml", tmp_path / "stack.yaml")
    shutil.copytree(ROOT / "openapi", tmp_path / "openapi")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def reconcile(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def edit_stack(workdir: Path, old: str, new: str) -> None:
    path = workdir / "stack.yaml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
