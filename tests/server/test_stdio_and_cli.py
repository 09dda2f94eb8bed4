"""`python -m server` as a process: stdio transport with a real SDK client, and start-up errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from tests.sandbox.helpers import mint
from tests.server.conftest import Stack
from tests.server.test_tools import authorize

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_stdio_transport_with_a_token_file(stack: Stack, tmp_path: Path) -> None:
    alice = mint(stack.sandbox.url, "alice")
    token_file = tmp_path / "token"
    token_file.write_text(alice + "\n")
    params = StdioServerParameters(
        command=sys.executable,
        args=[
            "-m",
            "server",
            "--transport",
            "stdio",
            "--config",
            str(stack.workdir / "config.json"),
            "--token-file",
            str(token_file),
        ],
        env={**os.environ},
        cwd=str(stack.workdir),
    )
    async with Client(params, mode="legacy") as client:
        first = await client.call_tool("get_user_profile", {})
        link = first.structured_content["authorization_required"]["url"]
        authorize(stack, link, alice, login="alice")
        profile = await client.call_tool("get_user_profile", {})
    assert profile.structured_content["login"] == "alice"


def test_missing_config_names_the_file_and_the_fix(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "server", "--config", str(tmp_path / "nope.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "nope.json does not exist" in result.stderr and "reconcile apply" in result.stderr
    assert "Traceback" not in result.stderr


def test_incomplete_config_says_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(
        '{"format_version": 1, "stack": "s", "region": "us-east-1", "gateway": {"url": "http://127.0.0.1:1/mcp"}, "tools": {}}'
    )
    result = subprocess.run(
        [sys.executable, "-m", "server", "--config", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1 and "gateway.authorizer" in result.stderr


def test_an_explicit_config_beside_the_runtime_variable_is_named_as_unread(tmp_path: Path) -> None:
    """On AgentCore Runtime MCP_SERVER_HANDOFF takes the place of --config: saying both gets a warning."""
    env = {**os.environ, "MCP_SERVER_HANDOFF": "{not json"}
    result = subprocess.run(
        [sys.executable, "-m", "server", "--config", str(tmp_path / "other.json")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert "MCP_SERVER_HANDOFF is set, so --config" in result.stderr and "other.json is not read" in result.stderr
    assert result.returncode == 1 and "environment variable MCP_SERVER_HANDOFF is not JSON" in result.stderr
