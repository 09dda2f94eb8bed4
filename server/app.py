"""The MCP server as `mcp-server` serves it, assembled: `build_server` registers the curated tools
(server/tools.py) and /healthz on a GatewayServer, which adds every gateway tool (server/gateway_tools.py); `http_app` wraps its streamable HTTP app with the direct path for single
tool calls (server/stateless_json.py) and the Host/Origin check on every route (server/hardening.py).
Called by server/serving.py (HTTP), server/__main__.py (stdio) and the tests. This module only assembles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp

from server.gateway_tools import GatewayServer
from server.hardening import HostOriginCheck
from server.stateless_json import StatelessJSON
from server.tools import READ_ONLY, Tools

INSTRUCTIONS = (
    "Tools that act on the signed-in user's GitHub account through an AgentCore gateway: profile, repositories, "
    "issues, pull requests, search (search_tools finds the right tool by what it does, where the gateway offers "
    "it). The first call may answer that authorization is needed, with a link: the user opens it, approves, and "
    "calls the tool again. Tools that change GitHub are offered only when the server allows writes, and ask first."
)


def build_server(tools: Tools, *, resource_url: str | None = None) -> MCPServer:
    """`resource_url`: serve as an OAuth resource server at that URL (server/resource_auth.py), as the Runtime's
    JWT authorizer does in front of the packaged server."""
    auth: dict[str, Any] = {}
    if resource_url:
        from server.resource_auth import JwtVerifier, auth_settings

        authorizer = tools.config.gateway.authorizer
        settings = auth_settings(authorizer, resource_url)
        auth = {"auth": settings, "token_verifier": JwtVerifier(str(authorizer.discovery_url))}
    server = GatewayServer(
        tools,
        name="github-mcp",
        instructions=INSTRUCTIONS,
        version="0.1.0",
        lifespan=lambda _: _gateway_pool(tools),
        **auth,
    )
    for tool in tools.tools():
        server.add_tool(tool, annotations=READ_ONLY)
    server.custom_route("/healthz", methods=["GET"])(partial(healthz, tools))
    return server


def http_app(server: MCPServer, *, stateful: bool, security: TransportSecuritySettings) -> ASGIApp:
    """The streamable HTTP app as `mcp-server` serves it (JSON responses; stateless unless `stateful`, with
    single tool calls answered on a direct path: server/stateless_json.py), Host/Origin checked on every route."""
    app: ASGIApp = server.streamable_http_app(
        stateless_http=not stateful, json_response=True, transport_security=security
    )
    if not stateful and server.settings.auth is None:  # the direct path would pass by the SDK's bearer check
        app = StatelessJSON(app, server)
    return HostOriginCheck(app, security)


async def healthz(tools: Tools, request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "status": "ok",
            "stack": tools.config.stack,
            "gateway": tools.config.gateway.url,
            "authorizer": tools.config.gateway.authorizer.type,
        }
    )


@asynccontextmanager
async def _gateway_pool(tools: Tools) -> AsyncIterator[dict[str, Any]]:
    """The server's lifespan (entered once, on the serving loop): the gateway pool closes with it."""
    try:
        yield {}
    finally:
        await tools.gateway.aclose()
