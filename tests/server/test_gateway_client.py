"""The gateway client's handling of what a gateway can answer, over httpx's MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from server.gateway import Elicitation, GatewayClient, GatewayFailure
from server.identity import Caller, IdentitySettings

pytestmark = pytest.mark.anyio
CALLER = Caller("userToken", "jwt-value", "alice", bearer="jwt-value")
SETTINGS = IdentitySettings(authorizer="CUSTOM_JWT", region="us-east-1")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def client(handler: Callable[[httpx.Request], httpx.Response]) -> GatewayClient:
    return GatewayClient("http://127.0.0.1:1/mcp", SETTINGS, transport=httpx.MockTransport(handler))


def rpc_result(result: dict[str, Any], status: int = 200) -> httpx.Response:
    return httpx.Response(status, json={"jsonrpc": "2.0", "id": 1, "result": result})


async def test_request_carries_the_protocol_version_and_the_callers_token() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return rpc_result({"content": [{"type": "text", "text": '{"login": "alice"}'}]})

    assert await client(handler).call_tool("T___op", {"a": 1}, CALLER) == {"login": "alice"}
    (request,) = seen
    assert request.headers["MCP-Protocol-Version"] == "2025-11-25"
    assert request.headers["Authorization"] == "Bearer jwt-value"
    assert json.loads(request.content)["params"] == {"name": "T___op", "arguments": {"a": 1}}


async def test_5xx_is_retried_then_succeeds() -> None:
    answers = [
        httpx.Response(503, text="busy"),
        httpx.Response(502, text="bad gateway"),
        rpc_result({"content": [{"type": "text", "text": "[]"}]}),
    ]
    assert await client(lambda _: answers.pop(0)).call_tool("T___op", {}, CALLER) == []


async def test_persistent_5xx_becomes_a_clear_failure() -> None:
    with pytest.raises(GatewayFailure, match="HTTP 503"):
        await client(lambda _: httpx.Response(503, text="<html>down</html>")).call_tool("T___op", {}, CALLER)


async def test_elicitation_with_http_error_status_is_still_an_elicitation() -> None:
    url = "https://bedrock-agentcore.us-east-1.amazonaws.com/identities/oauth2/authorize?request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc"
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {
            "code": -32042,
            "message": "This request requires more information.",
            "data": {"elicitations": [{"mode": "url", "elicitationId": "e1", "url": url, "message": "Please login"}]},
        },
    }
    outcome = await client(lambda _: httpx.Response(400, json=body)).call_tool("T___op", {}, CALLER)
    assert isinstance(outcome, Elicitation) and outcome.session_uri == "urn:ietf:params:oauth:request_uri:abc"


@pytest.mark.parametrize(
    ("response", "message"),
    [
        pytest.param(httpx.Response(200, text="not json"), "not JSON", id="non-json"),
        pytest.param(
            rpc_result({"isError": True, "content": [{"type": "text", "text": '{"message": "Bad credentials"}'}]}),
            "GitHub rejected the token the gateway holds for you \\(Bad credentials\\)",
            id="upstream-401",
        ),
        pytest.param(
            rpc_result(
                {"isError": True, "content": [{"type": "text", "text": '{"message": "API rate limit exceeded"}'}]}
            ),
            "API rate limit exceeded",
            id="rate-limit",
        ),
        pytest.param(
            httpx.Response(
                401,
                json={"jsonrpc": "2.0", "id": 1, "error": {"code": -32001, "message": "Unauthorized: invalid token"}},
            ),
            "rejected your credential",
            id="gateway-401",
        ),
        pytest.param(rpc_result({"content": []}), "no JSON data", id="empty-result"),
        pytest.param(httpx.Response(200, json=[1, 2]), "unexpected body", id="not-an-object"),
    ],
)
async def test_bad_answers_become_clear_failures(response: httpx.Response, message: str) -> None:
    with pytest.raises(GatewayFailure, match=message):
        await client(lambda _: response).call_tool("T___op", {}, CALLER)


async def test_timeout_is_a_clear_failure() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(GatewayFailure, match="did not answer in time"):
        await client(handler).call_tool("T___op", {}, CALLER)


async def test_structured_content_is_used_when_there_is_no_json_text() -> None:
    answer = rpc_result({"content": [{"type": "text", "text": "OK"}], "structuredContent": {"login": "bob"}})
    assert await client(lambda _: answer).call_tool("T___op", {}, CALLER) == {"login": "bob"}
