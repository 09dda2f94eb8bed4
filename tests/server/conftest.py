"""An applied stack in the sandbox, and our MCP server serving it over real HTTP (uvicorn)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from handoff.config import AuthorizerConfig, GatewayConfig, HandOff, OperationConfig
from handoff.config import write_config as save_config
from sandbox.server import Sandbox
from server.app import build_server, http_app
from server.hardening import transport_security
from server.options import DEFAULT_CHOICE, ToolChoice
from server.setup import make_tools
from server.tools import Tools
from tests.asgi import serving_asgi

TOKEN_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-User-Token"


@contextmanager
def serving(tools: Tools, *, stateful: bool = False) -> Iterator[str]:
    """Run the server like `mcp-server` does (streamable HTTP, JSON, Host/Origin checked) on a free loopback port."""
    app = http_app(build_server(tools), stateful=stateful, security=transport_security([], []))
    with serving_asgi(app) as base:
        yield base


@dataclass
class Stack:
    sandbox: Sandbox
    workdir: Path
    config: dict[str, Any]

    def tools(self, choice: ToolChoice = DEFAULT_CHOICE, **overrides: Any) -> Tools:
        """`choice`: what --toolsets / --allow-writes would choose (default: read-only, every toolset)."""
        tools = make_tools(
            self.workdir / "config.json", session_store=None, token_header=TOKEN_HEADER, token_file=None, choice=choice
        )
        for key, value in overrides.items():
            setattr(tools, key, value)
        return tools


@pytest.fixture
def stack(sandbox_server: Sandbox, applied_stack: Path) -> Stack:
    """The shared applied stack (tests/conftest.py applied_stack), with this test's own folder and users."""
    return Stack(sandbox_server, applied_stack, json.loads((applied_stack / "config.json").read_text()))


@pytest.fixture
def mcp_url(stack: Stack) -> Iterator[str]:
    with serving(stack.tools()) as base:
        yield f"{base}/mcp"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """`mcp-server`'s main configures the process's logging, as a program does; put the test run's back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in list(logging.root.manager.loggerDict)}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, value in levels.items():
        logging.getLogger(name).setLevel(value)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What `main` would have handed to uvicorn (the app, host, port), instead of serving forever."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append({"app": app, **kwargs}))
    return calls


@asynccontextmanager
async def connect(
    url: str, *, headers: dict[str, str] | None = None, mode: str = "legacy", url_elicitation: bool = False
) -> AsyncIterator[Client]:
    """A real SDK client. `url_elicitation=True` declares the elicitation capability (form + url)."""

    async def decline(*_: Any, **__: Any) -> Any:
        raise AssertionError("the server must not send elicitation requests; it returns -32042 instead")

    http = httpx2.AsyncClient(headers=headers or {}, timeout=30)
    extra = {"elicitation_callback": decline} if url_elicitation else {}
    async with http, Client(streamable_http_client(url, http_client=http), mode=mode, **extra) as client:  # type: ignore[arg-type]
        yield client


def write_config(
    folder: Path,
    authorizer: str = "CUSTOM_JWT",
    *,
    gateway_url: str = "http://127.0.0.1:9/mcp",
    stack: str = "s",
    operations: dict[str, OperationConfig] | None = None,
) -> Path:
    """A minimal config.json, written as `reconcile apply` writes it (handoff.config), for programs that must
    start without an applied stack; by default its gateway is never reached (port 9: discard). `operations`: how
    the hand-off presents the gateway's tools (toolset, method)."""
    path = folder / "config.json"
    gateway = GatewayConfig(
        id="g",
        arn="arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/g",
        url=gateway_url,
        name="g",
        authorizer=AuthorizerConfig(type=authorizer),  # type: ignore[arg-type]
    )
    tools = {"getAuthenticatedUser": "T___getAuthenticatedUser", "listUserRepositories": "T___listUserRepositories"}
    hand_off = HandOff(
        stack=stack,
        region="us-east-1",
        callback_url="http://127.0.0.1:9/oauth/callback",
        gateway=gateway,
        tools=tools,
        operations=operations or {},
    )
    save_config(path, hand_off)
    return path
