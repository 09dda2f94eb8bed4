"""The gateway's tools as this server offers them, with no code per tool: each tool the gateway lists becomes a
`ToolSpec` under a readable name, with the gateway's description and input schema (both built by the gateway
from the OpenAPI document) and what the hand-off says of its operation (toolset, HTTP method, `x-mcp-name`,
`x-mcp-summary`: handoff.config.OperationConfig). Pure: server/gateway_tools.py lists and caches.

Annotations follow the HTTP method: GET reads (readOnlyHint, idempotentHint); DELETE is destructive and
idempotent; PUT idempotent; POST/PATCH neither. A tool the hand-off does not describe (another target's, added
outside the stack) counts as a write: hidden in read-only mode rather than trusted to only read."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from mcp.types import Tool as MCPTool
from mcp.types import ToolAnnotations

from handoff.config import OperationConfig
from server.config import ServerConfig
from server.options import ToolChoice

SEARCH_TOOL = "x_amz_bedrock_agentcore_search"
"""The gateway's semantic search over its own tools, listed when its searchType is SEMANTIC (devguide:
gateway-using-mcp-semantic-search)."""
SEARCH_NAME = "search_tools"
SEPARATOR = "___"
"""`<TargetName>___<operationId>` (AWS_FACTS)."""
CURATED_TOOLS = {"getAuthenticatedUser": "get_user_profile", "listUserRepositories": "get_user_repos"}
"""Operations that keep their own Python tool (server/tools.py), with its name."""
CURATED = frozenset(CURATED_TOOLS)
CURATED_NAMES = frozenset(CURATED_TOOLS.values())
UNKNOWN_METHOD = "unknown"


@dataclass(frozen=True)
class ToolSpec:
    name: str
    gateway_name: str
    description: str
    input_schema: dict[str, Any]
    toolset: str = ""
    method: str = UNKNOWN_METHOD
    summary: str | None = None

    @property
    def writes(self) -> bool:
        return self.method != "get"

    @property
    def is_search(self) -> bool:
        return self.gateway_name == SEARCH_TOOL

    def annotations(self) -> ToolAnnotations:
        method = self.method
        return ToolAnnotations(
            read_only_hint=method == "get",
            destructive_hint=None if method == "get" else method in ("delete", UNKNOWN_METHOD),
            idempotent_hint=method in ("get", "put", "delete"),
            open_world_hint=True,
        )

    def wire(self) -> dict[str, Any]:
        """The tools/list entry, serialized once per listing."""
        tool = MCPTool(
            name=self.name, description=self.description, input_schema=self.input_schema, annotations=self.annotations()
        )
        return tool.model_dump(mode="json", by_alias=True, exclude_none=True)


def offered(spec: ToolSpec, choice: ToolChoice) -> str | None:
    """None when `choice` offers the tool, else why not (the refusal a call gets)."""
    if spec.is_search:
        return None
    if spec.writes and not choice.writes:
        return (
            f"{spec.name} changes your GitHub account and this server is read-only. Whoever runs it can offer write "
            "tools with --allow-writes (MCP_ALLOW_WRITES=1); each write then asks you to confirm, where your client can."
        )
    if not choice.offers(spec.toolset):
        return (
            f"{spec.name} belongs to the toolset {spec.toolset or '(none)'}, which this server does not offer "
            f"(--toolsets {','.join(sorted(choice.toolsets or ()))})."
        )
    return None


def tool_specs(listing: Iterable[dict[str, Any]], config: ServerConfig) -> dict[str, ToolSpec]:
    """Readable name -> spec for every tool the gateway listed, the curated operations left out. No side effects."""
    operations = {gateway: op for op, gateway in config.tools.items()}
    specs: dict[str, ToolSpec] = {}
    for entry in listing:
        gateway_name = str(entry["name"])
        operation_id = operations.get(gateway_name) or gateway_name.rpartition(SEPARATOR)[2]
        if operation_id in CURATED and gateway_name in operations:
            continue
        spec = _spec(entry, gateway_name, operation_id, config.operations.get(operation_id))
        if spec.name in specs or spec.name in CURATED_NAMES:
            spec = _renamed(spec, gateway_name)
        specs[spec.name] = spec
    return specs


def _spec(entry: dict[str, Any], gateway_name: str, operation_id: str, how: OperationConfig | None) -> ToolSpec:
    schema = entry.get("inputSchema")
    schema = dict(schema) if isinstance(schema, dict) else {}
    schema.setdefault("type", "object")
    description = str(entry.get("description") or gateway_name)
    if gateway_name == SEARCH_TOOL:
        return ToolSpec(SEARCH_NAME, gateway_name, description, schema, method="get")
    if how is None:
        return ToolSpec(snake_case(operation_id), gateway_name, description, schema)
    return ToolSpec(
        how.name or snake_case(operation_id), gateway_name, description, schema, how.toolset, how.method, how.summary
    )


def _renamed(spec: ToolSpec, gateway_name: str) -> ToolSpec:
    """Two targets with one operationId: the second keeps its target's name in front."""
    target = snake_case(gateway_name.partition(SEPARATOR)[0])
    return replace(spec, name=f"{target}_{spec.name}")


def snake_case(name: str) -> str:
    """getFileContents -> get_file_contents; GitHubTarget -> git_hub_target; already_snake stays."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return re.sub(r"[^a-z0-9_]+", "_", spaced.lower()).strip("_") or "tool"
