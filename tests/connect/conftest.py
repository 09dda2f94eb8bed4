"""mcp-connect against the sandbox's authorization server: a browser stand-in that signs in on the sandbox's
page, a config.json naming the IdP and the stack's pre-registered client, and no OS keyring (the 0600 file)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import keyring
import pytest
from keyring.backends import fail

from handoff.config import AuthorizerConfig, GatewayConfig, HandOff, RuntimeConfig, write_config
from sandbox.server import Sandbox
from tests.shipped_stack import workdir  # noqa: F401  (the shipped stack without its hosted callback)

CLIENT_ID = "sandbox-demo"
LOOPBACK_REDIRECT = "http://127.0.0.1/callback"
"""Registered without a port, so any loopback port matches (RFC 8252 section 7.3; sandbox.oauth_clients)."""
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def browser(user: str, seen: list[str] | None = None) -> Callable[[str], bool]:
    """webbrowser.open's stand-in: loads the sign-in page, submits its form as `user`, follows the redirect to
    the loopback listener, as a browser would."""

    def open_url(url: str) -> bool:
        if seen is not None:
            seen.append(url)
        with httpx.Client(timeout=10) as http:
            page = http.get(url)
            assert page.status_code == 200, page.text
            form = {name: html.unescape(value) for name, value in HIDDEN.findall(page.text)}
            origin = httpx.URL(url).copy_with(path="/oidc/authorize", query=None)
            answer = http.post(str(origin), data={**form, "user": user})
            assert answer.status_code == 302, answer.text
            back = http.get(answer.headers["Location"])
            assert back.status_code == 200, back.text
        return True

    return open_url


@pytest.fixture
def no_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No OS keyring (as on this machine) and the fallback file's folder in tmp_path."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    home = tmp_path / "mcp-connect-home"
    monkeypatch.setenv("MCP_CONNECT_HOME", str(home))
    yield home
    keyring.set_keyring(previous)


@pytest.fixture
def idp(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """The sandbox, with the loopback redirect URI registered for the pre-registered client."""
    monkeypatch.setenv("SANDBOX_OIDC_REDIRECT_URIS", LOOPBACK_REDIRECT)
    monkeypatch.delenv("SANDBOX_OIDC_TOKEN_LIFETIME", raising=False)
    return sandbox


@pytest.fixture
def config(idp: Sandbox, tmp_path: Path) -> Path:
    """A config.json as `reconcile apply` writes it, naming the sandbox's IdP and one allowed client."""
    authorizer = AuthorizerConfig(
        type="CUSTOM_JWT",
        discovery_url=f"{idp.url}/oidc/.well-known/openid-configuration",
        allowed_clients=[CLIENT_ID],
    )
    gateway = GatewayConfig(id="g", arn="arn:g", url="http://127.0.0.1:9/mcp", name="g", authorizer=authorizer)
    runtime = RuntimeConfig(
        address="runtime", name="r", arn="arn:r", invocation_url="http://127.0.0.1:9/runtimes/r/invocations"
    )
    path = tmp_path / "config.json"
    write_config(path, HandOff(stack="s", region="us-east-1", gateway=gateway, runtime=runtime))
    return path
