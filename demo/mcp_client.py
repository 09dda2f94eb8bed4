"""The demo's MCP client: the real SDK, connected as a user's client would be. Either straight to a
local mcp-server over streamable HTTP (the JWT as a bearer token); or over stdio to a process that reaches
the server on AgentCore Runtime (mcp-connect, or mcp-proxy-for-aws: SigV4, the JWT in a signed header);
or straight to the runtime with the SDK's own OAuth client (the OAuth door, demo.doors). The proxy pins
mcp<2, so it runs in its own environment: `uv tool run` fetches the pinned release from PyPI on first use,
then uses uv's cache.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp import StdioServerParameters
from mcp.types import CallToolResult

from demo.doors import OAuthDoor
from reconciler.client_config import PROXY_VERSION, proxy_args

PROXY_EXECUTABLE = "MCP_PROXY_FOR_AWS"
"""Names an installed mcp-proxy-for-aws executable to run instead of `uv tool run` (no download)."""


@dataclass(frozen=True)
class Direct:
    """A local mcp-server's streamable HTTP URL and the user's JWT."""

    url: str
    token: str


@dataclass(frozen=True)
class Proxied:
    """The stdio process to start (mcp-connect or mcp-proxy-for-aws), and the file its stderr goes to."""

    params: StdioServerParameters
    log: Path


Server = Direct | Proxied | OAuthDoor
Call = tuple[str, dict[str, Any]]


def proxy_command() -> list[str]:
    """How to start mcp-proxy-for-aws; its arguments (`proxy_args(...)[1:]`) follow. `uv tool run
    mcp-proxy-for-aws@VERSION`, as `uvx` in the client setups, or the executable MCP_PROXY_FOR_AWS names."""
    installed = os.environ.get(PROXY_EXECUTABLE)
    if installed:
        return [installed]
    uv = shutil.which("uv")
    if uv is None:
        raise RuntimeError(f"uv is needed to run mcp-proxy-for-aws (or set {PROXY_EXECUTABLE} to an installed one)")
    return [uv, "tool", "run", f"mcp-proxy-for-aws@{PROXY_VERSION}"]


def proxy_params(endpoint: str, *, region: str, token: str, aws_environ: Mapping[str, str]) -> StdioServerParameters:
    """mcp-proxy-for-aws at `endpoint` with the arguments `reconcile output --client` prints. It signs
    with the credentials in `aws_environ` (e.g. the sandbox's) and sees no other AWS_* variable, nor
    AWS_ENDPOINT_URL: the proxy reaches `endpoint` itself."""
    arguments = proxy_args(endpoint, region=region, token=token)[1:]  # [0] names the release for uvx
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {**aws_environ, "AWS_EC2_METADATA_DISABLED": "true"}
    env.pop("AWS_ENDPOINT_URL", None)
    command = proxy_command()
    return StdioServerParameters(command=command[0], args=[*command[1:], *arguments], env=env)


async def _call_tools(server: Server, calls: list[Call]) -> list[CallToolResult]:
    import httpx2
    from mcp import Client
    from mcp.client.stdio import stdio_client
    from mcp.client.streamable_http import streamable_http_client

    async with AsyncExitStack() as stack:
        if isinstance(server, Proxied):
            transport = stdio_client(server.params, errlog=stack.enter_context(server.log.open("a")))
        elif isinstance(server, OAuthDoor):
            http = await stack.enter_async_context(httpx2.AsyncClient(auth=server.provider(), timeout=60))
            transport = streamable_http_client(server.url, http_client=http)
        else:
            headers = {"Authorization": f"Bearer {server.token}"}
            http = await stack.enter_async_context(httpx2.AsyncClient(headers=headers, timeout=60))
            transport = streamable_http_client(server.url, http_client=http)
        client = await stack.enter_async_context(Client(transport, mode="legacy"))
        return [await client.call_tool(name, arguments) for name, arguments in calls]


async def _list_tools(server: Server) -> list[str]:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    assert isinstance(server, OAuthDoor), "only the OAuth door signs in on its own"
    async with httpx2.AsyncClient(auth=server.provider(), timeout=60) as http:
        async with Client(streamable_http_client(server.url, http_client=http), mode="legacy") as client:
            return [tool.name for tool in (await client.list_tools()).tools]


def list_tools(server: Server) -> list[str]:
    """tools/list in one session (the OAuth door's client signs in on its first request)."""
    return asyncio.run(_list_tools(server))


def call_tools(server: Server, *calls: Call) -> list[CallToolResult]:
    """The calls in order in one session of a client (protocol 2025-11-25) that has not declared URL
    elicitation; through the proxy, one proxy process for them all."""
    return asyncio.run(_call_tools(server, list(calls)))


def text_of(result: CallToolResult) -> str:
    first = result.content[0] if result.content else None
    return str(getattr(first, "text", result))
