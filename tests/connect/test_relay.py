"""The stdio relay as a streamable HTTP client: one POST per message, JSON or SSE answers written back as
lines, the session id and protocol version the server hands out sent back, nothing for a notification."""

from __future__ import annotations

import io
import json
import logging

import httpx
import pytest
from botocore.credentials import Credentials

from connect.relay import Relay
from connect.signing import SigV4TokenAuth

INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25"}}


def test_answers_come_back_as_lines_with_the_session_and_version_sent_back() -> None:
    seen: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        message = json.loads(request.content)
        if message.get("method") == "initialize":
            body = 'event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25"}}\n\n'
            return httpx.Response(
                200, text=body, headers={"Content-Type": "text/event-stream", "Mcp-Session-Id": "s-1"}
            )
        if "id" not in message:
            return httpx.Response(202)
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": message["id"], "result": {"tools": []}})

    out = io.StringIO()
    relay = Relay("http://127.0.0.1:9/mcp", httpx.Client(transport=httpx.MockTransport(server)), out, lambda _: None)
    lines = [
        json.dumps(INITIALIZE),
        '{"jsonrpc":"2.0","method":"notifications/initialized"}',
        "",
        '{"jsonrpc":"2.0","id":2,"method":"tools/list"}',
        "not json",
    ]
    relay.serve(line + "\n" for line in lines)
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert answers[0] == {"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": "2025-11-25"}}
    assert {"jsonrpc": "2.0", "id": 2, "result": {"tools": []}} in answers
    assert {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}} in answers
    assert len(answers) == 3  # nothing for the notification
    assert all(r.headers["Accept"] == "application/json, text/event-stream" for r in seen)
    later = [r for r in seen if json.loads(r.content).get("method") != "initialize"]
    assert later and all(r.headers["Mcp-Session-Id"] == "s-1" for r in later)
    assert all(r.headers["Mcp-Protocol-Version"] == "2025-11-25" for r in later)


def test_an_http_error_from_the_runtime_is_an_answer_not_a_crash() -> None:
    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"message": "AccessDeniedException: signature does not match"})

    said: list[str] = []
    relay = Relay(
        "http://127.0.0.1:9/mcp", httpx.Client(transport=httpx.MockTransport(server)), io.StringIO(), said.append
    )
    (answer,) = relay.forward(INITIALIZE)
    assert answer["id"] == 1 and "HTTP 403" in answer["error"]["message"]
    assert any("HTTP 403" in line for line in said)


def test_no_token_reaches_the_logs_even_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    """botocore.auth logs the canonical request, the JWT header included, at DEBUG: mcp-connect silences it."""
    caplog.set_level(logging.DEBUG)
    secret_jwt = "eyJhbGciOiJSUzI1NiJ9.secret-payload.signature"
    auth = SigV4TokenAuth(
        credentials=lambda: Credentials("AKID", "SECRET"), region="us-east-1", token=lambda: secret_jwt
    )

    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": 1, "result": {}})

    out = io.StringIO()
    relay = Relay("http://127.0.0.1:9/mcp", httpx.Client(transport=httpx.MockTransport(server), auth=auth), out, print)
    relay.forward(INITIALIZE)
    assert secret_jwt not in caplog.text and "secret-payload" not in out.getvalue()
