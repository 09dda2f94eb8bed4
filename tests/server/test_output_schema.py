"""A gateway tool's output schema (issue 23: "output schema where the document has one"), checked by the MCP SDK's
own client, which refuses a result of a tool with a schema unless its structured content matches.

The sandbox gateway lists no outputSchema for OpenAPI targets, and whether AgentCore does is UNCONFIRMED
(server/catalog.py); a Lambda target's tool definitions carry one (botocore ToolDefinition.outputSchema). So the
gateway here is a loopback stand-in listing tools as such a target would: with an object schema (passed through),
an array or a broken one (left out: a client could not use them), and answers that match, that do not, and that
ask for authorization first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp.client.context import ClientRequestContext
from mcp.types import CallToolResult, ElicitRequestParams, ElicitResult

from handoff.config import OperationConfig
from server.catalog import output_schema
from server.options import DEFAULT_CHOICE, ToolChoice
from server.setup import make_tools
from server.tools import Tools
from tests.asgi import received_json, send_json, serving_asgi
from tests.server.conftest import TOKEN_HEADER, connect, serving, write_config
from tests.server.test_tools import bearer
from tests.server.wire_cases import CONSENT_URL, PROFILE, REPOS

pytestmark = pytest.mark.anyio
MODES = [pytest.param("legacy", id="2025-11-25"), pytest.param("auto", id="2026-07-28")]
WIDGET = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
    "required": ["id", "name"],
}
ARRAY = {"type": "array", "items": WIDGET}
BROKEN = {"type": "object", "properties": {"id": {"type": "integer", "minimum": "zero"}}}  # minimum must be a number
LISTED = {
    "getWidget": WIDGET,
    "getDriftedWidget": WIDGET,
    "getLockedWidget": WIDGET,
    "deleteWidget": WIDGET,
    "listWidgets": ARRAY,
    "getOddWidget": BROKEN,
}
ANSWERS: dict[str, Any] = {
    "getWidget": {"id": 7, "name": "sprocket", "colour": "red"},
    "getDriftedWidget": {"id": "seven", "name": "sprocket"},
    "deleteWidget": {"id": 7, "name": "sprocket"},
    "listWidgets": [{"id": 7, "name": "sprocket"}],
    "getOddWidget": {"id": 7},
    "getAuthenticatedUser": PROFILE,
    "listUserRepositories": REPOS,
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def listing() -> list[dict[str, Any]]:
    tools = [
        {"name": f"T___{op}", "inputSchema": {"type": "object"}}
        for op in ("getAuthenticatedUser", "listUserRepositories")
    ]
    for op, schema in LISTED.items():
        tools.append(
            {"name": f"W___{op}", "description": op, "inputSchema": {"type": "object"}, "outputSchema": schema}
        )
    return tools


async def gateway(scope: Any, receive: Any, send: Any) -> None:
    """JSON-RPC as an AgentCore gateway answers it: the listing above, the upstream JSON as text, -32042 for the
    locked widget."""
    if scope["type"] != "http":
        return
    request = await received_json(receive)
    rpc: dict[str, Any] = {"jsonrpc": "2.0", "id": request["id"]}
    if request["method"] == "tools/list":
        rpc["result"] = {"tools": listing()}
    elif (op := request["params"]["name"].rpartition("___")[2]) == "getLockedWidget":
        url = CONSENT_URL + "output-schema-1"
        elicitation = {"mode": "url", "url": url, "elicitationId": "e1", "message": "Authorize"}
        rpc["error"] = {"code": -32042, "message": "More information", "data": {"elicitations": [elicitation]}}
    else:
        rpc["result"] = {"content": [{"type": "text", "text": json.dumps(ANSWERS[op])}]}
    await send_json(send, rpc)


@pytest.fixture
def gateway_url() -> Iterator[str]:
    with serving_asgi(gateway) as base:
        yield f"{base}/mcp"


def tools(workdir: Path, gateway_url: str, choice: ToolChoice = DEFAULT_CHOICE) -> Tools:
    """Through config.json and `mcp-server`'s own assembly; the hand-off describes the widgets as toolset `widgets`."""
    operations = {
        op: OperationConfig(toolset="widgets", method="delete" if op == "deleteWidget" else "get") for op in LISTED
    }
    write_config(workdir, gateway_url=gateway_url, operations=operations)
    config = workdir / "config.json"
    return make_tools(config, session_store=None, token_header=TOKEN_HEADER, token_file=None, choice=choice)


@pytest.mark.parametrize("mode", MODES)
async def test_an_object_schema_is_passed_through_and_the_sdk_client_accepts_the_result(
    tmp_path: Path, gateway_url: str, mode: str
) -> None:
    with serving(tools(tmp_path, gateway_url)) as base:
        async with connect(f"{base}/mcp", headers=bearer("a-token"), mode=mode) as client:
            listed = {t.name: t for t in (await client.list_tools()).tools}
            result = await client.call_tool("get_widget", {})  # the client checks it against the schema
            unchecked = await client.call_tool("list_widgets", {})
            # the check is real: the same client refuses content that does not match
            with pytest.raises(RuntimeError, match="Invalid structured content returned by tool get_widget"):
                await client.session.validate_tool_result(
                    "get_widget", CallToolResult(content=[], structured_content={"id": "seven"})
                )
    assert listed["get_widget"].output_schema == WIDGET
    assert listed["list_widgets"].output_schema is None  # an array cannot be one (MCP: type object)
    assert listed["get_odd_widget"].output_schema is None  # a schema that does not compile would refuse every result
    assert listed["get_user_profile"].output_schema is not None  # the curated tools keep their models' schemas
    assert not result.is_error and result.structured_content == ANSWERS["getWidget"]
    assert not unchecked.is_error and unchecked.structured_content == {"items": ANSWERS["listWidgets"]}


@pytest.mark.parametrize("mode", MODES)
async def test_an_answer_that_does_not_match_is_an_error_result_with_the_answer_as_text(
    tmp_path: Path, gateway_url: str, mode: str
) -> None:
    with serving(tools(tmp_path, gateway_url)) as base:
        async with connect(f"{base}/mcp", headers=bearer("a-token"), mode=mode) as client:
            result = await client.call_tool("get_drifted_widget", {})
    assert result.is_error and result.structured_content is None
    note, answer = (c.text for c in result.content)  # type: ignore[union-attr]
    assert note.startswith("The gateway's answer does not match get_drifted_widget's output schema")
    assert "'seven' is not of type 'integer', at id" in note
    assert json.loads(answer) == ANSWERS["getDriftedWidget"]


@pytest.mark.parametrize("mode", MODES)
async def test_authorization_needed_is_an_error_result_carrying_the_link(
    tmp_path: Path, gateway_url: str, mode: str
) -> None:
    """A client that did not declare URL elicitation gets the link as a result; with a schema and no structured
    content, only an error result passes the client's check."""
    with serving(tools(tmp_path, gateway_url)) as base:
        async with connect(f"{base}/mcp", headers=bearer("a-token"), mode=mode) as client:
            result = await client.call_tool("get_locked_widget", {})
    assert result.is_error and "Authorization needed" in result.content[0].text  # type: ignore[union-attr]
    assert "/oauth/start?link=" in result.content[0].text  # type: ignore[union-attr]


async def test_a_declined_write_is_an_error_result(tmp_path: Path, gateway_url: str) -> None:
    """2026-07-28: the write asks first; "no" leaves nothing changed, said in a result the client accepts."""
    asked: list[str] = []

    async def decline(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"confirm": False})

    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    with serving(tools(tmp_path, gateway_url, ToolChoice(writes=True))) as base:
        http = httpx2.AsyncClient(headers=bearer("a-token"), timeout=30)
        transport = streamable_http_client(f"{base}/mcp", http_client=http)
        async with http, Client(transport, mode="auto", elicitation_callback=decline) as client:  # type: ignore[arg-type]
            listed = {t.name: t for t in (await client.list_tools()).tools}
            declined = await client.call_tool("delete_widget", {})
    assert listed["delete_widget"].output_schema == WIDGET and len(asked) == 1
    assert declined.is_error and declined.content[0].text.startswith("Not done: delete_widget was not confirmed")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("listed", "kept"),
    [
        pytest.param(WIDGET, True, id="object"),
        pytest.param({"type": "object"}, True, id="bare-object"),
        pytest.param(ARRAY, False, id="array"),
        pytest.param({"properties": {"id": {"type": "integer"}}}, False, id="untyped"),
        pytest.param(BROKEN, False, id="does-not-compile"),
        pytest.param("object", False, id="not-a-schema"),
        pytest.param(None, False, id="none"),
    ],
)
def test_which_listed_schemas_a_client_can_use(listed: Any, kept: bool) -> None:
    assert output_schema(listed) == (listed if kept else None)
