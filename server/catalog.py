"""The gateway's tools as this server offers them, with no code per tool: each tool the gateway lists becomes a
`ToolSpec` under a readable name, with the gateway's description and input schema (both built by the gateway
from the OpenAPI document) and what the hand-off says of its operation (toolset, HTTP method, `x-mcp-name`,
`x-mcp-summary`: handoff.config.OperationConfig). Pure: server/gateway_tools.py lists and caches.

Annotations follow the HTTP method: GET reads (readOnlyHint, idempotentHint); DELETE is destructive and
idempotent; PUT idempotent; POST/PATCH neither. A tool the hand-off does not describe (another target's, added
outside the stack) counts as a write: hidden in read-only mode rather than trusted to only read.

Output schemas come from the gateway's list only. Whether AgentCore lists an `outputSchema` for an OpenAPI target's
tools is UNCONFIRMED (the devguide's tools/list answer has "names, descriptions, and parameter schemas"; the sandbox
lists none); a Lambda target's tool definitions carry one (botocore ToolDefinition.outputSchema). So a listed one
is kept, when a client can use it (an object-typed, valid JSON Schema: MCP requires `type: object`, and the SDK
client refuses every result of a tool whose schema does not compile), and each result is checked against it
(server/presenting.py `conform`); a tool listed without one has none. The hand-off does not carry the OpenAPI
document's response schemas instead. Room is not the reason (packed, the hand-off takes ~1,700 of the Runtime's
5,000 characters; the schemas as compact JSON are ~3,300 more before packing). But 11 of the shipped 23 operations
answer arrays, which an outputSchema cannot be (MCP: `type: object`), and the objects' schemas list 1-7 of GitHub's
fields: a result whose field GitHub sends as null where the document says string would fail the client's check and
become an error, for a schema that tells the client little."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from mcp.types import Tool as MCPTool
from mcp.types import ToolAnnotations

from handoff.config import OperationConfig
from server.config import ServerConfig
from server.options import ToolChoice

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

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
    output_schema: dict[str, Any] | None = None
    """The gateway's, when it lists one a client can use (`output_schema`); results are checked against it."""

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
            name=self.name,
            description=self.description,
            input_schema=self.input_schema,
            output_schema=self.output_schema,
            annotations=self.annotations(),
        )
        return tool.model_dump(mode="json", by_alias=True, exclude_none=True)

    @cached_property
    def validator(self) -> Validator | None:
        """The output schema compiled as the SDK client compiles it (mcp.client.session), once per listing."""
        if self.output_schema is None:
            return None
        from jsonschema.validators import validator_for  # only for tools that have a schema
        from referencing import Registry

        return validator_for(self.output_schema)(self.output_schema, registry=Registry())


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
    if gateway_name == SEARCH_TOOL:  # its answer is reshaped (this server's names), so no schema of the gateway's
        return ToolSpec(SEARCH_NAME, gateway_name, description, schema, method="get")
    output = output_schema(entry.get("outputSchema"))
    if how is None:
        return ToolSpec(snake_case(operation_id), gateway_name, description, schema, output_schema=output)
    name = how.name or snake_case(operation_id)
    return ToolSpec(name, gateway_name, description, schema, how.toolset, how.method, how.summary, output)


def output_schema(listed: Any) -> dict[str, Any] | None:
    """The gateway's outputSchema when a client can use it: a JSON object schema (MCP: `type: object`) that
    compiles. Else None: a client would refuse every result of the tool (the SDK raises on a schema that does not
    compile), where without one it takes them as they are."""
    if not isinstance(listed, dict) or listed.get("type") != "object":
        return None
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    try:
        validator_for(listed).check_schema(listed)
    except SchemaError:
        return None
    return listed


def _renamed(spec: ToolSpec, gateway_name: str) -> ToolSpec:
    """Two targets with one operationId: the second keeps its target's name in front."""
    target = snake_case(gateway_name.partition(SEPARATOR)[0])
    return replace(spec, name=f"{target}_{spec.name}")


def snake_case(name: str) -> str:
    """getFileContents -> get_file_contents; GitHubTarget -> git_hub_target; already_snake stays."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return re.sub(r"[^a-z0-9_]+", "_", spaced.lower()).strip("_") or "tool"
