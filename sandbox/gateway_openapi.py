"""How the sandbox gateway turns a target's OpenAPI document into MCP tools, checks a call's arguments against
it, and builds the outbound HTTP request; and its semantic search tool. Called by sandbox/gateway_mcp.py.

- Tools are named `<TargetName>___<operationId>` (AWS_FACTS; devguide gateway-schema-openapi), described by the
  operation's `summary` (else `description`), with an input schema whose properties are the operation's
  parameters and, UNCONFIRMED, its JSON request body's properties side by side (how AWS exposes a body is not
  documented; a tool client only ever passes the schema's properties back, so the server does not depend on it).
- Arguments are checked against that schema before anything goes out (types, enums, bounds, required, unknown
  names refused): a stricter reading where AWS's behaviour is UNCONFIRMED; refusals are JSON-RPC -32602
  (Invalid params), the code MCP gives to bad tool arguments.
- `x_amz_bedrock_agentcore_search` is listed when the gateway's searchType is SEMANTIC (devguide
  gateway-using-mcp-semantic-search: argument `query`, "returns a list of tools that are relevant"). AWS ranks
  by embeddings; the sandbox ranks by shared words. The result's shape is UNCONFIRMED: here `{"tools": [...]}`,
  the tools/list entries of the best matches, as JSON text and structuredContent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft7Validator

METHODS = ("get", "put", "post", "delete", "patch")
SEARCH_TOOL = "x_amz_bedrock_agentcore_search"
SEARCH_DESCRIPTION = "Search the gateway's tools with a natural-language query; returns the most relevant tools."
SEARCH_RESULTS = 5


@dataclass(frozen=True)
class OpenApiTool:
    name: str
    server: str
    path: str
    method: str
    parameters: list[dict[str, Any]]
    body: list[str]
    """The request body's property names (sent as a JSON object)."""
    schema: dict[str, Any]
    description: str
    oauth: dict[str, Any] = field(default_factory=dict)

    def descriptor(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "inputSchema": self.schema}

    def problems(self, arguments: dict[str, Any]) -> list[str]:
        """What is wrong with `arguments` against the input schema (empty: nothing)."""
        unknown = sorted(set(arguments) - set(self.schema["properties"]))
        found = [f"unknown argument {name!r}" for name in unknown]
        for error in Draft7Validator(self.schema).iter_errors(arguments):
            where = ".".join(str(p) for p in error.absolute_path) or "arguments"
            found.append(f"{where}: {error.message}")
        return found

    def request(self, arguments: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        """The path (parameters filled in), the query and the JSON body of the outbound call."""
        path, query = self.path, {}
        for param in self.parameters:
            name = param["name"]
            if name not in arguments:
                continue
            if param.get("in") == "path":
                path = path.replace("{" + name + "}", str(arguments[name]))
            elif param.get("in") == "query":
                query[name] = arguments[name]
        body = {k: arguments[k] for k in self.body if k in arguments}
        return path, query, (body if self.body else None)


def openapi_tools(target_name: str, document: dict[str, Any], oauth: dict[str, Any]) -> list[OpenApiTool]:
    server = ((document.get("servers") or [{}])[0]).get("url", "")
    tools = []
    for path, item in (document.get("paths") or {}).items():
        for method in METHODS:
            operation = (item or {}).get(method)
            if isinstance(operation, dict) and operation.get("operationId"):
                tools.append(_tool(target_name, server, path, method, operation, oauth))
    return tools


def _tool(
    target: str, server: str, path: str, method: str, operation: dict[str, Any], oauth: dict[str, Any]
) -> OpenApiTool:
    properties, required = {}, []
    parameters = operation.get("parameters") or []
    for param in parameters:
        schema = _json_schema(param.get("schema") or {})
        if param.get("description"):
            schema["description"] = param["description"]
        properties[param["name"]] = schema
        if param.get("required"):
            required.append(param["name"])
    body_schema = (((operation.get("requestBody") or {}).get("content") or {}).get("application/json") or {}).get(
        "schema"
    ) or {}
    body = list((body_schema.get("properties") or {}).keys())
    for name, schema in (body_schema.get("properties") or {}).items():
        properties[name] = _json_schema(schema)
    required += [name for name in body_schema.get("required") or [] if name not in required]
    name = f"{target}___{operation['operationId']}"
    return OpenApiTool(
        name=name,
        server=server,
        path=path,
        method=method,
        parameters=parameters,
        body=body,
        schema={"type": "object", "properties": properties, "required": required},
        description=operation.get("summary") or operation.get("description") or name,
        oauth=oauth,
    )


def _json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI 3.0's schema object as JSON Schema: `nullable` becomes a null type."""
    converted = {k: (_json_schema(v) if k == "items" and isinstance(v, dict) else v) for k, v in schema.items()}
    if "properties" in converted:
        converted["properties"] = {k: _json_schema(v) for k, v in converted["properties"].items()}
    if converted.pop("nullable", False) and "type" in converted:
        converted["type"] = [converted["type"], "null"]
    return converted


def search_descriptor() -> dict[str, Any]:
    schema = {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}
    return {"name": SEARCH_TOOL, "description": SEARCH_DESCRIPTION, "inputSchema": schema}


def search(query: str, tools: list[OpenApiTool]) -> dict[str, Any]:
    words = set(_words(query))
    scored = []
    for tool in tools:
        score = len(words & set(_words(f"{tool.name} {tool.description}")))
        if score:
            scored.append((score, tool.name, tool))
    scored.sort(key=lambda entry: (-entry[0], entry[1]))
    return {"tools": [tool.descriptor() for _, _, tool in scored[:SEARCH_RESULTS]]}


def _words(text: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    return [w.rstrip("s") for w in re.findall(r"[a-z0-9]+", spaced.lower()) if len(w) > 2]
