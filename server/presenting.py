"""A generated tool's result: GitHub's JSON as structured content, and a concise text - the operation's
`x-mcp-summary` line per result (per item of a list or of a search's `items`) when the OpenAPI document
gives one, else the JSON itself; and, for a tool with an output schema, the result as a client can accept it
(`conform`). Called by server/gateway_tools.py; pure."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mcp.types import CallToolResult, TextContent
from pydantic_core import to_json

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

FIELD = re.compile(r"\{([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)\}")
"""`{field}` or `{field.sub}`: plain lookups, never str.format (whose `{0.__class__}` reaches into objects)."""
MAX_FIELD = 4000


def present(data: Any, summary: str | None, arguments: dict[str, Any]) -> CallToolResult:
    structured = data if isinstance(data, dict) else {"items": data}
    return CallToolResult(
        content=[TextContent(type="text", text=_text(data, summary, arguments))], structured_content=structured
    )


def conform(result: CallToolResult, name: str, validator: Validator) -> CallToolResult:
    """`result` when its structured content matches the tool's output schema, else the same content as an error
    result. A client checks every result of a tool that declares a schema, except an error (MCP 2025-11-25, the
    SDK client's validate_tool_result): one without structured content (authorization needed, a write not
    confirmed) or with content that does not match would be refused whole, and the text with it."""
    if result.is_error:
        return result
    if result.structured_content is None:
        return result.model_copy(update={"is_error": True})
    from jsonschema.exceptions import best_match  # the error the SDK client would name

    error = best_match(validator.iter_errors(result.structured_content))
    if error is None:
        return result
    where = "/".join(str(part) for part in error.absolute_path) or "the top level"
    note = f"The gateway's answer does not match {name}'s output schema ({error.message[:300]}, at {where}); as text:"
    text = [TextContent(type="text", text=note), *result.content]
    return CallToolResult(content=text, is_error=True)


def render(template: str, item: Any) -> str:
    """One `x-mcp-summary` line: a missing or null field shows as `-`."""
    return FIELD.sub(lambda match: _field(item, match.group(1)), template)


def _text(data: Any, summary: str | None, arguments: dict[str, Any]) -> str:
    if data is None or data == "":
        return "Done."
    if summary is None:
        return to_json(data).decode()
    if isinstance(data, list):
        return _listing(data, summary, arguments)
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        total = data.get("total_count")
        head = f"{total} results; " if isinstance(total, int) else ""
        return head + _listing(data["items"], summary, arguments)
    return render(summary, data)


def _listing(items: list[Any], summary: str, arguments: dict[str, Any]) -> str:
    page, per_page = arguments.get("page", 1), arguments.get("per_page", 30)
    lines = [f"page {page} ({len(items)} shown):"] + [f"- {render(summary, item)}" for item in items]
    if isinstance(per_page, int) and len(items) >= per_page:
        lines.append(f"More may follow: call again with page={page + 1 if isinstance(page, int) else 2}.")
    return "\n".join(lines)


def _field(item: Any, path: str) -> str:
    value = item
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    if value is None or value == "":
        return "-"
    text = value if isinstance(value, str) else to_json(value).decode()
    return text if len(text) <= MAX_FIELD else text[:MAX_FIELD] + "…"
