"""Who can reach `mcp-server` over HTTP (issue 12, item 2): it listens on loopback by default, checks
Host and Origin on every route (DNS rebinding), and an AWS_IAM server - which needs no caller
credential, since it signs with its own - refuses a non-loopback address unless the operator says
that inbound authentication is in front of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

import server.__main__ as program
from tests.asgi import serving_asgi
from tests.server.conftest import write_config

pytestmark = pytest.mark.usefixtures("restore_logging")
LIST_TOOLS = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
MCP_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(program.main, list(args), env=env, catch_exceptions=False)


def test_default_is_loopback_and_the_help_says_when_to_open_up() -> None:
    help_text = " ".join(run("--help").output.split())
    assert "--host TEXT HTTP listen address. [default: 127.0.0.1]" in help_text
    assert "--single-user" in help_text and "AWS_IAM" in help_text
    assert "--allowed-host" in help_text and "--allowed-origin" in help_text


def test_mcp_server_listens_on_loopback_unless_told(tmp_path: Path, started: list[dict[str, Any]]) -> None:
    assert run("--config", str(write_config(tmp_path))).exit_code == 0
    assert started[0]["host"] == "127.0.0.1"


@pytest.mark.parametrize("host", [None, "0.0.0.0"], ids=["default-host", "wildcard-host"])
def test_foreign_host_or_origin_gets_no_data(tmp_path: Path, started: list[dict[str, Any]], host: str | None) -> None:
    """DNS rebinding: a page on attacker.example whose name now resolves to this machine."""
    args = ["--config", str(write_config(tmp_path)), *(["--host", host] if host else [])]
    assert run(*args).exit_code == 0, started
    with serving_asgi(started[0]["app"]) as base, httpx.Client(base_url=base) as http:
        assert http.post("/mcp", json=LIST_TOOLS, headers=MCP_HEADERS).status_code == 200
        assert http.get("/healthz").json()["status"] == "ok"
        for headers in ({"Host": "attacker.example"}, {"Origin": "http://attacker.example"}):
            mcp = http.post("/mcp", json=LIST_TOOLS, headers={**MCP_HEADERS, **headers})
            health = http.get("/healthz", headers=headers)
            for response in (mcp, health):
                assert response.status_code in (403, 421), (headers, response.status_code)
                assert "tools" not in response.text and "gateway" not in response.text


def test_allowed_hosts_and_origins_are_configurable(tmp_path: Path, started: list[dict[str, Any]]) -> None:
    result = run(
        "--config",
        str(write_config(tmp_path)),
        "--allowed-host",
        "mcp.example.com",
        "--allowed-origin",
        "https://app.example.com",
        env={"MCP_ALLOWED_HOSTS": "other.example.com:8443"},
    )
    assert result.exit_code == 0, result.output
    with serving_asgi(started[0]["app"]) as base, httpx.Client(base_url=base) as http:
        for headers in (
            {"Host": "mcp.example.com"},
            {"Host": "mcp.example.com", "Origin": "https://app.example.com"},
            {"Origin": "https://app.example.com"},
        ):
            assert http.post("/mcp", json=LIST_TOOLS, headers={**MCP_HEADERS, **headers}).status_code == 200, headers
        assert http.get("/healthz", headers={"Host": "evil.example.com"}).status_code == 421
        # the command line replaces the environment's list (click: options beat envvars)
        assert http.get("/healthz", headers={"Host": "other.example.com:8443"}).status_code == 421
    started.clear()
    assert (
        run("--config", str(write_config(tmp_path)), env={"MCP_ALLOWED_HOSTS": "a.example, b.example"}).exit_code == 0
    )
    with serving_asgi(started[0]["app"]) as base, httpx.Client(base_url=base) as http:
        assert http.get("/healthz", headers={"Host": "b.example"}).status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "mcp.internal"])
def test_aws_iam_server_refuses_a_non_loopback_bind(tmp_path: Path, started: list[dict[str, Any]], host: str) -> None:
    config = str(write_config(tmp_path, "AWS_IAM"))
    refused = run("--config", config, "--host", host)
    assert refused.exit_code == 1 and not started
    assert (
        "AWS_IAM" in refused.output and "--single-user" in refused.output and "share one GitHub link" in refused.output
    )
    assert "Traceback" not in refused.output
    allowed = run("--config", config, "--host", host, "--single-user")
    assert allowed.exit_code == 0 and started[0]["host"] == host


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_aws_iam_server_may_listen_on_loopback(tmp_path: Path, started: list[dict[str, Any]], host: str) -> None:
    assert run("--config", str(write_config(tmp_path, "AWS_IAM")), "--host", host).exit_code == 0
    assert started[0]["host"] == host


def test_custom_jwt_server_may_listen_anywhere(tmp_path: Path, started: list[dict[str, Any]]) -> None:
    """Every call carries the user's own JWT, which the gateway verifies: nothing to take without one."""
    assert run("--config", str(write_config(tmp_path)), "--host", "0.0.0.0").exit_code == 0
