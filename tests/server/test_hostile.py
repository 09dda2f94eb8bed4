"""The MCP server's HTTP surface against hostile requests: 45 hostile inputs (14 Host/Origin headers,
16 malformed or oversized protocol messages, 10 hostile credentials, 5 repeated Host/Origin fields sent
raw), each answered with a refusal or an error result - never a 5xx, never data for a foreign Host/Origin,
never a token in the logs - and the server keeps serving after all of them. Heads too large or too slow:
tests/server/test_hostile_heads.py (both programs, as started by users).

Header values with optional whitespace around them (RFC 9110 §5.5) are the values without it: an `Mcp-Name`
of " get_user_profile " matches the body's tool (the MCP 2026-07-28 conformance check `http-header-validation`).

The server runs as `mcp-server` serves it (server.app.http_app) in front of a stand-in gateway
(httpx MockTransport) that accepts only JWTs from its own issuer and answers those with -32042."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from handoff.sqlite_sessions import SqliteSessionStore
from server.config import load_server_config
from server.gateway import GatewayClient
from server.identity import DEFAULT_TOKEN_HEADER, IdentitySettings
from server.tools import Tools
from tests.server.conftest import serving, write_config

ISSUER = "https://idp.example"
ALICE = jwt.encode({"iss": ISSUER, "sub": "alice", "username": "alice"}, "k" * 32, algorithm="HS256")
HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}
HOSTILE_COUNT = 45


def gateway(request: httpx.Request) -> httpx.Response:
    """Accepts ALICE-shaped tokens of ISSUER (unverified: a stand-in), answers -32042; else 401."""
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        claims = {}
    if claims.get("iss") != ISSUER or claims.get("alg") == "none" or token.count(".") != 2 or not token.split(".")[2]:
        return httpx.Response(401, json={"jsonrpc": "2.0", "id": 1, "error": {"code": -32001, "message": "invalid"}})
    url = "https://bedrock-agentcore.us-east-1.amazonaws.com/identities/oauth2/authorize?request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Ahostile"
    error = {
        "code": -32042,
        "message": "m",
        "data": {"elicitations": [{"mode": "url", "elicitationId": "e", "url": url}]},
    }
    return httpx.Response(200, json={"jsonrpc": "2.0", "id": 1, "error": error})


@pytest.fixture(scope="module")
def mcp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("hostile-server")
    config = load_server_config(write_config(folder))
    identity = IdentitySettings(authorizer="CUSTOM_JWT", region="us-east-1")
    client = GatewayClient(config.gateway.url, identity, transport=httpx.MockTransport(gateway))
    tools = Tools(config, identity, SqliteSessionStore(folder / "sessions.sqlite3"), client)
    with serving(tools) as base:
        yield base


@dataclass
class Hostile:
    method: str = "POST"
    path: str = "/mcp"
    headers: dict[str, str | bytes] = field(default_factory=dict)
    body: Any = None
    """A dict/list is sent as JSON; bytes as they are."""
    expect: tuple[int, ...] = (200,)
    is_error_result: bool = False
    """For 200 answers: the JSON-RPC reply must be an error or an isError result."""


def call(name: str = "get_user_profile", arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments or {}}}


LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
NONE_ALG = jwt.encode({"iss": ISSUER, "sub": "admin"}, None, algorithm="none")  # type: ignore[arg-type]
HOST_ORIGIN = [
    pytest.param(Hostile(headers={"Host": "attacker.example"}, body=LIST, expect=(421,)), id="host-foreign"),
    pytest.param(Hostile(headers={"Host": "attacker.example:8000"}, body=LIST, expect=(421,)), id="host-foreign-port"),
    pytest.param(Hostile(headers={"Host": "localhost.attacker.example"}, body=LIST, expect=(421,)), id="host-suffix"),
    pytest.param(Hostile(headers={"Host": "127.0.0.1.nip.io"}, body=LIST, expect=(421,)), id="host-rebind-service"),
    pytest.param(Hostile(headers={"Host": "127.0.0.1@attacker.example"}, body=LIST, expect=(421,)), id="host-userinfo"),
    pytest.param(
        Hostile(headers={"Host": "127.0.0.1:1.attacker.example"}, body=LIST, expect=(421,)), id="host-port-prefix"
    ),
    pytest.param(Hostile(headers={"Host": "127.0.0.1:abc"}, body=LIST, expect=(421,)), id="host-bad-port"),
    pytest.param(Hostile(headers={"Host": "a" * 8000}, body=LIST, expect=(421,)), id="host-8k"),
    pytest.param(
        Hostile(method="GET", path="/healthz", headers={"Host": "attacker.example"}, expect=(421,)), id="healthz-host"
    ),
    pytest.param(Hostile(headers={"Origin": "http://attacker.example"}, body=LIST, expect=(403,)), id="origin-foreign"),
    pytest.param(Hostile(headers={"Origin": "null"}, body=LIST, expect=(403,)), id="origin-null"),
    pytest.param(
        Hostile(headers={"Origin": "http://localhost.attacker.example"}, body=LIST, expect=(403,)), id="origin-suffix"
    ),
    pytest.param(
        Hostile(headers={"Origin": "http://127.0.0.1:1.attacker.example"}, body=LIST, expect=(403,)),
        id="origin-port-prefix",
    ),
    pytest.param(
        Hostile(method="GET", path="/healthz", headers={"Origin": "https://attacker.example"}, expect=(403,)),
        id="healthz-origin",
    ),
]
PROTOCOL = [
    pytest.param(Hostile(headers={"Content-Type": "text/plain"}, body=LIST, expect=(400, 415)), id="content-type-text"),
    pytest.param(Hostile(body=b"{not json", expect=(400,)), id="invalid-json"),
    pytest.param(Hostile(body=b'"just a string"', expect=(400,)), id="json-string"),
    pytest.param(Hostile(body=[LIST, LIST], expect=(200, 400)), id="batch"),
    pytest.param(Hostile(body=b"[" * 100_000 + b"]" * 100_000, expect=(400, 413)), id="deep-nesting"),
    pytest.param(Hostile(body=b'{"a":"' + b"x" * (5 * 1024 * 1024) + b'"}', expect=(413,)), id="body-5mb"),
    pytest.param(Hostile(body=(b"x" * 65536 for _ in range(80)), expect=(413,)), id="chunked-5mb"),
    pytest.param(
        Hostile(body={"jsonrpc": "2.0", "id": 1, "method": "foo/bar"}, is_error_result=True), id="unknown-method"
    ),
    pytest.param(Hostile(body=call("nope"), is_error_result=True), id="unknown-tool"),
    pytest.param(Hostile(body=call("get_user_repos", {"per_page": "1e309"}), is_error_result=True), id="wrong-type"),
    pytest.param(
        Hostile(body=call("get_user_repos", {f"k{i}": i for i in range(10_000)}), expect=(200,)), id="10k-arguments"
    ),
    pytest.param(
        Hostile(body={"jsonrpc": "2.0", "id": {"x": [1]}, "method": "tools/list"}, expect=(200, 202, 400)),
        id="object-id",
    ),
    pytest.param(Hostile(method="GET", headers={"Accept": "application/json"}, expect=(405, 406)), id="get-mcp-json"),
    pytest.param(Hostile(method="DELETE", expect=(405,)), id="delete-mcp"),
    pytest.param(Hostile(headers={"Accept": "text/html"}, body=LIST, expect=(406,)), id="accept-html"),
    pytest.param(
        Hostile(headers={"MCP-Protocol-Version": "garbage\u00e9".encode("latin-1")}, body=LIST, expect=(400,)),
        id="protocol-version",
    ),
]
CREDENTIALS = [
    pytest.param(Hostile(body=call(), is_error_result=True), id="no-credential"),
    pytest.param(
        Hostile(headers={"Authorization": "Bearer"}, body=call(), is_error_result=True), id="bearer-without-token"
    ),
    pytest.param(Hostile(headers={"Authorization": "Basic YTpi"}, body=call(), is_error_result=True), id="basic"),
    pytest.param(
        Hostile(headers={"Authorization": "Bearer not-a-jwt"}, body=call(), is_error_result=True), id="not-a-jwt"
    ),
    pytest.param(
        Hostile(headers={"Authorization": f"Bearer {NONE_ALG}"}, body=call(), is_error_result=True), id="alg-none"
    ),
    pytest.param(
        Hostile(headers={"Authorization": "Bearer " + "A" * 8000}, body=call(), is_error_result=True), id="token-8k"
    ),
    pytest.param(
        Hostile(headers={"Authorization": "Bearer a.b.c"}, body=call(), is_error_result=True), id="three-dots"
    ),
    pytest.param(
        Hostile(
            headers={DEFAULT_TOKEN_HEADER: "Bearer " + NONE_ALG, "Authorization": f"Bearer {ALICE}"},
            body=call(),
            is_error_result=True,
        ),
        id="custom-header-wins",
    ),
    pytest.param(
        Hostile(
            headers={"Authorization": f"Bearer {ALICE}"},
            body=call("get_user_repos", {"page": -1}),
            is_error_result=True,
        ),
        id="negative-page",
    ),
    pytest.param(
        Hostile(headers={"Authorization": f"Bearer {ALICE}\u00a0".encode("latin-1")}, body=call(), expect=(200,)),
        id="nbsp-after-token",
    ),
]


REPEATED = [
    pytest.param([b"Host: 127.0.0.1", b"Host: attacker.example"], id="host-then-foreign-host"),
    pytest.param([b"Host: attacker.example", b"Host: 127.0.0.1"], id="foreign-host-then-host"),
    pytest.param([b"Host: 127.0.0.1", b"Host: 127.0.0.1"], id="host-twice"),
    pytest.param([b"Host: 127.0.0.1", b"Origin: http://127.0.0.1", b"Origin: http://attacker.example"], id="origins"),
    pytest.param([b"Host: 127.0.0.1", b"Origin: http://127.0.0.1", b"Origin: http://127.0.0.1"], id="origin-twice"),
]
"""Intermediaries that use the last value would see another Host or Origin than the check did."""


def raw_request(base: str, fields: list[bytes], body: bytes) -> tuple[int, bytes]:
    """POST /mcp with exactly these header fields (httpx refuses to send a second Host): (status, body)."""
    host, port = base.removeprefix("http://").split(":")
    head = [b"POST /mcp HTTP/1.1", *fields, b"Content-Type: application/json", b"Accept: application/json"]
    head += [b"Content-Length: %d" % len(body), b"Connection: close"]
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(b"\r\n".join(head) + b"\r\n\r\n" + body)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    status_line, _, rest = received.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize("fields", REPEATED)
def test_a_repeated_host_or_origin_is_refused_with_400(mcp: str, fields: list[bytes]) -> None:
    status, body = raw_request(mcp, [*fields, b"MCP-Protocol-Version: 2025-11-25"], json.dumps(LIST).encode())
    assert status == 400 and b"tools" not in body, (status, body[:300])
    assert httpx.post(f"{mcp}/mcp", json=LIST, headers=HEADERS).json()["result"]["tools"]


MODERN_CALL = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {
        "name": "get_user_profile",
        "arguments": {},
        "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": {"name": "hostile", "version": "1"},
            "io.modelcontextprotocol/clientCapabilities": {},
        },
    },
}


@pytest.mark.parametrize(
    "padding", [pytest.param(b" ", id="space"), pytest.param(b"\t", id="tab"), pytest.param(b" \t ", id="mixed")]
)
def test_optional_whitespace_around_mcp_name_and_method_is_not_part_of_the_value(mcp: str, padding: bytes) -> None:
    fields = [
        b"Host: 127.0.0.1",
        b"MCP-Protocol-Version: " + padding + b"2026-07-28" + padding,
        b"Mcp-Method: " + padding + b"tools/call" + padding,
        b"Mcp-Name: " + padding + b"get_user_profile" + padding,
    ]
    status, body = raw_request(mcp, fields, json.dumps(MODERN_CALL).encode())
    assert status == 200, (status, body[:300])
    reply = json.loads(body)
    assert "Authorization: Bearer" in reply["result"]["content"][0]["text"], reply  # the tool ran (no credential)
    mismatch = [f.replace(b"get_user_profile", b"get_user_repos") if f.startswith(b"Mcp-Name") else f for f in fields]
    status, body = raw_request(mcp, mismatch, json.dumps(MODERN_CALL).encode())
    assert status == 400 and b"-32020" in body, (status, body[:300])  # a different name is still refused


@pytest.mark.parametrize("hostile", [*HOST_ORIGIN, *PROTOCOL, *CREDENTIALS])
def test_hostile_request_is_refused_and_the_server_keeps_serving(
    mcp: str, hostile: Hostile, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    kwargs: dict[str, Any] = {"headers": {**HEADERS, **hostile.headers}, "timeout": 30}
    if isinstance(hostile.body, (dict, list)):
        kwargs["content"] = json.dumps(hostile.body).encode()
    elif hostile.body is not None:
        kwargs["content"] = hostile.body
    try:
        response = httpx.request(hostile.method, mcp + hostile.path, **kwargs)
    except (httpx.WriteError, httpx.RemoteProtocolError):
        response = None  # the server refused and closed while the client was still sending
    if response is not None:
        assert response.status_code in hostile.expect, (response.status_code, response.text[:300])
        if response.status_code in (403, 421):
            assert "tools" not in response.text and "gateway" not in response.text
        if hostile.is_error_result:
            reply = response.json()
            assert "error" in reply or reply["result"].get("isError") is True, reply
    else:
        assert 413 in hostile.expect
    assert httpx.post(f"{mcp}/mcp", json=LIST, headers=HEADERS).json()["result"]["tools"]
    assert ALICE not in caplog.text and NONE_ALG not in caplog.text


def test_the_docstring_counts_the_hostile_inputs() -> None:
    assert len(HOST_ORIGIN) == 14 and len(PROTOCOL) == 16 and len(CREDENTIALS) == 10 and len(REPEATED) == 5
    assert len(HOST_ORIGIN) + len(PROTOCOL) + len(CREDENTIALS) + len(REPEATED) == HOSTILE_COUNT
    assert f"{HOSTILE_COUNT} hostile inputs" in (__doc__ or "")


def test_no_credential_result_says_how_to_send_one(mcp: str) -> None:
    reply = httpx.post(f"{mcp}/mcp", json=call(), headers=HEADERS).json()
    assert "Authorization: Bearer" in reply["result"]["content"][0]["text"]


def test_a_valid_token_gets_the_link(mcp: str, tmp_path: Path) -> None:
    reply = httpx.post(f"{mcp}/mcp", json=call(), headers={**HEADERS, "Authorization": f"Bearer {ALICE}"}).json()
    link = reply["result"]["structuredContent"]["authorization_required"]["url"]
    assert "/oauth/start?link=" in link and "request_uri" not in link
