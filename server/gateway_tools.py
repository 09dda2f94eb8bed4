"""Every gateway tool as a tool of this server, with no code per tool (issue 23).

`GatewayTools` lists the gateway's tools with the caller's own credential once per stack version (the
hand-off's digest: server.config.ServerConfig.version) and keeps them for the process: one gateway call per
process and deployment, not one per request. `ListGatewayTools` (server middleware) appends the offered ones
to every `tools/list`; `GatewayServer.call_tool` runs them. Each runs as an SDK `Tool` whose input schema is
the gateway's and whose arguments pass through unchanged (the gateway validates them against the document).

A write (any method but GET) asks the user first through the SDK's resolver machinery: an `Elicit` that the
SDK sends as `elicitation/create` (2025-11-25, where the client declared form elicitation and a back-channel
exists) or as an `InputRequiredResult` (2026-07-28). A client that cannot be asked gets the call without the
question: the operator offered writes on purpose (MCP_ALLOW_WRITES) and clients approve tool calls themselves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import anyio
from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.elicitation import ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Elicit, Resolve
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.types import CallToolResult, InputRequiredResult, TextContent
from mcp_types.version import is_version_at_least
from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_json

from server.catalog import CURATED_NAMES, CURATED_TOOLS, ToolSpec, offered, tool_specs
from server.config import reloaded
from server.gateway import GatewayFailure
from server.identity import NoCredential, caller_from
from server.models import AuthorizationRequired
from server.presenting import conform, present
from server.tools import authorization_text

if TYPE_CHECKING:
    from collections.abc import Mapping

    from server.tools import Tools

log = logging.getLogger("server.gateway_tools")
INPUT_REQUIRED_VERSION = "2026-07-28"


class Confirmation(BaseModel):
    confirm: bool = Field(title="Go ahead", description="Yes: make this change on GitHub as you.")


class PassThrough(ArgModelBase):
    """Arguments as the client sent them: the gateway checks them against the OpenAPI document."""

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)

    def model_dump_one_level(self) -> dict[str, Any]:
        return {"arguments": dict(self.model_extra or {})}


PASS_THROUGH = FuncMetadata(arg_model=PassThrough)


@dataclass
class Listing:
    """One stack version's gateway tools: every spec, and the offered ones as tools/list entries."""

    version: str
    specs: dict[str, ToolSpec]
    offered: list[dict[str, Any]]
    runners: dict[str, Tool] = field(default_factory=dict)


class GatewayTools:
    def __init__(self, tools: Tools):
        self.tools = tools
        self.current: Listing | None = None
        self._lock: anyio.Lock | None = None

    async def listing(self, headers: Mapping[str, str] | None) -> Listing:
        """This stack version's tools, listed with the caller's credential the first time; raises
        NoCredential or GatewayFailure (nothing is kept then: the next request lists again)."""
        config = reloaded(self.tools.config)
        if config is not self.tools.config:  # apply rewrote config.json: its gateway may have moved too
            self.tools.config, self.tools.gateway.url = config, config.gateway.url
        current = self.current
        if current is not None and current.version == config.version:
            return current
        self._lock = self._lock or anyio.Lock()
        async with self._lock:
            if self.current is not None and self.current.version == config.version:
                return self.current
            raw = await self.tools.gateway.list_tools(caller_from(self.tools.identity, headers))
            specs = tool_specs(raw, config)
            wire = [s.wire() for s in specs.values() if offered(s, config.choice) is None]
            self.current = Listing(config.version, specs, wire)
            log.info("listed %d gateway tools (%d offered) for version %s", len(specs), len(wire), config.version)
            return self.current

    async def runner(self, name: str, headers: Mapping[str, str] | None) -> Tool | None:
        """The SDK tool that runs `name`, None when the gateway has no such tool; raises ToolError when this
        server does not offer it (read-only, another toolset) or the tools cannot be listed."""
        try:
            listing = await self.listing(headers)
        except (NoCredential, GatewayFailure) as exc:
            raise ToolError(str(exc)) from exc
        spec = listing.specs.get(name)
        if spec is None:
            return None
        refusal = offered(spec, self.tools.config.choice)
        if refusal is not None:
            raise ToolError(refusal)
        if name not in listing.runners:
            listing.runners[name] = _sdk_tool(GatewayTool(spec, self.tools))
        return listing.runners[name]


@dataclass(frozen=True)
class GatewayTool:
    spec: ToolSpec
    tools: Tools

    async def read(self, ctx: Context, arguments: dict[str, Any]) -> CallToolResult:
        data = await self.tools.call_gateway(ctx, self.spec.gateway_name, arguments)
        if isinstance(data, AuthorizationRequired):
            return self._conformed(CallToolResult(content=[TextContent(type="text", text=authorization_text(data))]))
        if self.spec.is_search:
            data = _search_result(data, ctx)
        return self._conformed(present(data, self.spec.summary, arguments))

    async def write(
        self,
        ctx: Context,
        arguments: dict[str, Any],
        confirmation: Annotated[ElicitationResult[Confirmation], Resolve(confirm_write)],
    ) -> CallToolResult:
        if confirmation.action != "accept" or not confirmation.data.confirm:
            text = f"Not done: {self.spec.name} was not confirmed, so nothing changed on GitHub."
            return self._conformed(CallToolResult(content=[TextContent(type="text", text=text)]))
        return await self.read(ctx, arguments)

    def _conformed(self, result: CallToolResult) -> CallToolResult:
        """As a client accepts it when the tool declares an output schema (server/presenting.py `conform`)."""
        validator = self.spec.validator
        return result if validator is None else conform(result, self.spec.name, validator)


async def confirm_write(ctx: Context, arguments: dict[str, Any]) -> Elicit[Confirmation] | Confirmation:
    """The question a write asks, or a confirmation taken as given when this client cannot be asked."""
    if not _can_ask(ctx):
        return Confirmation(confirm=True)
    params = ctx.request_context.params or {}
    name = str(params.get("name", "this tool"))
    listing = _listing(ctx)
    spec = listing.specs.get(name) if listing else None
    what = spec.description if spec else name
    shown = to_json(arguments).decode()
    return Elicit(f"{what}\n\n{name} {shown[:1500]}\n\nDo this on GitHub as you?", Confirmation)


def _can_ask(ctx: Context) -> bool:
    """Form elicitation declared, and a way to ask: per request (2026-07-28) or over a back-channel."""
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities else None
    if elicitation is None or (elicitation.form is None and elicitation.url is not None):
        return False
    version = ctx.protocol_version
    if version is not None and is_version_at_least(version, INPUT_REQUIRED_VERSION):
        return True
    return bool(ctx.request_context.session.can_send_request)


def _sdk_tool(tool: GatewayTool) -> Tool:
    spec = tool.spec
    built = Tool.from_function(
        tool.write if spec.writes else tool.read,
        name=spec.name,
        description=spec.description,
        annotations=spec.annotations(),
        structured_output=False,
    )
    return built.model_copy(update={"parameters": spec.input_schema, "fn_metadata": PASS_THROUGH})


def _search_result(data: Any, ctx: Context) -> Any:
    """The gateway's search answers with gateway tool names: shown as this server's names, hidden ones left out.
    UNCONFIRMED shape (devguide: "a list of tools that are relevant"): a `tools` list, as tools/list has."""
    server = ctx.mcp_server
    listing = _listing(ctx)
    if listing is None or not isinstance(server, GatewayServer) or not isinstance(data, dict):
        return data
    if not isinstance(data.get("tools"), list):
        return data
    config = server.gateway_tools.tools.config
    by_gateway = {s.gateway_name: (s.name, offered(s, config.choice) is None) for s in listing.specs.values()}
    by_gateway |= {config.tools[op]: (name, True) for op, name in CURATED_TOOLS.items() if op in config.tools}
    found = []
    for entry in data["tools"]:
        name, shown = by_gateway.get(str(entry.get("name")), ("", False)) if isinstance(entry, dict) else ("", False)
        if shown:
            found.append({"name": name, "description": entry.get("description", "")})
    return {"tools": found}


def _listing(ctx: Context) -> Listing | None:
    server = ctx.mcp_server
    return server.gateway_tools.current if isinstance(server, GatewayServer) else None


class ListGatewayTools:
    """Server middleware: every successful tools/list also lists the offered gateway tools. A listing that
    fails (no credential, gateway down) leaves the curated tools alone, and is tried again next time."""

    def __init__(self, gateway_tools: GatewayTools):
        self.gateway_tools = gateway_tools

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        result = await call_next(ctx)
        if ctx.method != "tools/list" or not isinstance(result, dict):
            return result
        try:
            listing = await self.gateway_tools.listing(getattr(ctx.request, "headers", None))
        except (NoCredential, GatewayFailure) as exc:
            log.warning("tools/list shows only the curated tools: %s", exc)
            return result
        return {**result, "tools": [*result.get("tools", []), *listing.offered]}


class GatewayServer(MCPServer):
    """MCPServer whose tools are its own (the curated ones) plus the gateway's."""

    def __init__(self, tools: Tools, **kwargs: Any):
        self.gateway_tools = GatewayTools(tools)
        super().__init__(middleware=[ListGatewayTools(self.gateway_tools)], **kwargs)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        if name in CURATED_NAMES or context is None:
            return await super().call_tool(name, arguments, context)
        runner = await self.gateway_tools.runner(name, context.headers)
        if runner is None:
            return await super().call_tool(name, arguments, context)
        result: CallToolResult | InputRequiredResult = await runner.run(arguments, context, convert_result=True)
        return result
