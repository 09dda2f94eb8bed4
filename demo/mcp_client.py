"""The demo's MCP client: the real SDK over streamable HTTP, as a user's client would connect."""

from __future__ import annotations

import asyncio
from typing import Any

from mcp.types import CallToolResult


async def _call_tool(url: str, token: str, name: str, arguments: dict[str, Any]) -> CallToolResult:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        async with Client(streamable_http_client(url, http_client=http), mode="legacy") as client:
            return await client.call_tool(name, arguments)


def call_tool(url: str, token: str, name: str, arguments: dict[str, Any] | None = None) -> CallToolResult:
    """One tool call by a client (protocol 2025-11-25) that has not declared URL elicitation."""
    return asyncio.run(_call_tool(url, token, name, arguments or {}))


def text_of(result: CallToolResult) -> str:
    first = result.content[0] if result.content else None
    return str(getattr(first, "text", result))
