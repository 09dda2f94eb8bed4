"""The wire-level cases of tests/server/test_wire_compat.py: a fake gateway, the requests, and how an
exchange is reduced to what must not change (status, content type, JSON body minus varying ids).

Record the fixture from the server as it is (only when its behaviour is meant to change):

    uv run python -m tests.server.wire_cases
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from server.app import build_server, http_app
from server.hardening import transport_security
from server.identity import DEFAULT_TOKEN_HEADER
from server.setup import make_tools as make_server_tools
from server.tools import Tools
from tests.asgi import received_json, send_json, serving_asgi
from tests.server.conftest import write_config

FIXTURE = Path(__file__).with_name("wire_fixture.json")
LEGACY, MODERN = "2025-11-25", "2026-07-28"
CONSENT_URL = "http://127.0.0.1:9/identities/oauth2/authorize?request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A"
_sessions = itertools.count(1)
ISSUED: list[str] = []
"""Session URIs the fake gateway handed out, in order (tests/server/test_workers.py checks the store has each)."""
PROFILE = {"login": "alice", "name": "Alice", "bio": None, "public_repos": 3, "followers": 1, "following": 2,
           "html_url": "https://github.com/alice"}  # fmt: skip
REPOS = [
    {"name": f"r{i}", "full_name": f"alice/r{i}", "private": i == 1, "language": "Python", "stargazers_count": i,
     "html_url": f"https://github.com/alice/r{i}", "description": None}
    for i in range(2)
]  # fmt: skip


async def fake_gateway(scope: Any, receive: Any, send: Any) -> None:
    """Answers by the caller's bearer: ok (data), consent (-32042), refused (isError), broken (not JSON)."""
    if scope["type"] != "http":
        return
    request = await received_json(receive)
    auth = dict(scope["headers"]).get(b"authorization", b"").decode()
    await send_json(send, _gateway_answer(auth.removeprefix("Bearer "), request))


GATEWAY_TOOLS = [
    {"name": name, "description": name, "inputSchema": {"type": "object", "properties": {}}}
    for name in ("T___getAuthenticatedUser", "T___listUserRepositories", "T___deleteEverything")
] + [{"name": "x_amz_bedrock_agentcore_search", "description": "Search the gateway's tools",
      "inputSchema": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}]  # fmt: skip
"""What the fake gateway lists: the curated two, one the hand-off does not describe (hidden: it may write), and
the semantic search tool (listed as search_tools)."""


def _gateway_answer(token: str, request: dict[str, Any]) -> dict[str, Any] | bytes:
    rpc = {"jsonrpc": "2.0", "id": request["id"]}
    if request["method"] == "tools/list" and token in ("ok", "consent", "refused"):
        return {**rpc, "result": {"tools": GATEWAY_TOOLS}}
    if token == "consent":
        ISSUED.append(f"urn:ietf:params:oauth:request_uri:wire-{next(_sessions)}")
        elicitation = {
            "mode": "url",
            "url": CONSENT_URL + ISSUED[-1].rsplit(":", 1)[1],
            "elicitationId": "wire-elicitation",
            "message": "Authorize",
        }
        error = {"code": -32042, "message": "URL elicitation required", "data": {"elicitations": [elicitation]}}
        return {**rpc, "error": error}
    if token == "refused":
        return {**rpc, "result": {"isError": True, "content": [{"type": "text", "text": '{"message": "Bad"}'}]}}
    if token == "broken":
        return b"<html>not json</html>"
    data = REPOS if request["params"]["name"].endswith("listUserRepositories") else PROFILE
    return {**rpc, "result": {"content": [{"type": "text", "text": json.dumps(data)}]}}


@dataclass(frozen=True)
class Case:
    """One HTTP exchange. `session`: none, a `valid` one from an initialize first, or a `bogus` id."""

    name: str
    method: str = "POST"
    body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    stateful: bool = False
    session: str = "none"
    path: str = "/mcp"


def rpc(method: str, params: dict[str, Any] | None = None, id: int | None = 1) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if id is not None:
        message["id"] = id
    if params is not None:
        message["params"] = params
    return message


def call(tool: str, arguments: dict[str, Any] | None = None, id: int = 7) -> dict[str, Any]:
    return rpc("tools/call", {"name": tool, "arguments": arguments or {}}, id)


URL_CAPS = {"elicitation": {"form": {}, "url": {}}}
INIT = rpc(
    "initialize", {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "wire", "version": "1"}}
)
INIT_URL = rpc(
    "initialize", {"protocolVersion": LEGACY, "capabilities": URL_CAPS, "clientInfo": {"name": "wire", "version": "1"}}
)
MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": {"name": "wire", "version": "1"},
    "io.modelcontextprotocol/clientCapabilities": URL_CAPS,
}
OK, CONSENT = {"Authorization": "Bearer ok"}, {"Authorization": "Bearer consent"}
MODERN_HEADERS = {"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": "get_user_profile"}
PV = {"MCP-Protocol-Version": LEGACY}


def _cases() -> Iterator[Case]:
    for stateful in (False, True):
        s = "stateful" if stateful else "stateless"
        sess = "valid" if stateful else "none"
        yield Case(f"{s}-initialize", body=INIT, stateful=stateful)
        yield Case(f"{s}-initialize-url-elicitation", body=INIT_URL, stateful=stateful)
        yield Case(f"{s}-initialized-notification", body=rpc("notifications/initialized", id=None), headers=PV,
                   stateful=stateful, session=sess)  # fmt: skip
        yield Case(f"{s}-tools-list", body=rpc("tools/list"), headers=PV, stateful=stateful, session=sess)
        yield Case(f"{s}-tools-list-gateway", body=rpc("tools/list"), headers={**PV, **OK}, stateful=stateful,
                   session=sess)  # fmt: skip
        yield Case(f"{s}-ping", body=rpc("ping"), headers=PV, stateful=stateful, session=sess)
        yield Case(f"{s}-profile", body=call("get_user_profile"), headers={**PV, **OK}, stateful=stateful,
                   session=sess)  # fmt: skip
        yield Case(f"{s}-repos", body=call("get_user_repos", {"per_page": 2, "page": 1, "direction": "asc"}),
                   headers={**PV, **OK}, stateful=stateful, session=sess)  # fmt: skip
        yield Case(f"{s}-consent-plain-link", body=call("get_user_profile"), headers={**PV, **CONSENT},
                   stateful=stateful, session=sess)  # fmt: skip
        yield Case(f"{s}-refused", body=call("get_user_profile"), headers={**PV, "Authorization": "Bearer refused"},
                   stateful=stateful, session=sess)  # fmt: skip
        yield Case(f"{s}-broken-gateway", body=call("get_user_repos"), headers={**PV, "Authorization": "Bearer broken"},
                   stateful=stateful, session=sess)  # fmt: skip
        yield Case(f"{s}-no-credential", body=call("get_user_profile"), headers=PV, stateful=stateful, session=sess)
        yield Case(f"{s}-invalid-arguments", body=call("get_user_repos", {"per_page": 0}), headers={**PV, **OK},
                   stateful=stateful, session=sess)  # fmt: skip
        yield Case(f"{s}-unknown-tool", body=call("nope"), headers={**PV, **OK}, stateful=stateful, session=sess)
        yield Case(f"{s}-unknown-method", body=rpc("nope/nope"), headers=PV, stateful=stateful, session=sess)
        yield Case(f"{s}-missing-params", body=rpc("tools/call"), headers=PV, stateful=stateful, session=sess)
        yield Case(f"{s}-string-id", body={**call("get_user_profile"), "id": "abc"}, headers={**PV, **OK},
                   stateful=stateful, session=sess)  # fmt: skip
        yield Case(f"{s}-parse-error", raw=b"{not json", headers=PV, stateful=stateful, session=sess)
        yield Case(f"{s}-not-jsonrpc", body={"hello": "world"}, headers=PV, stateful=stateful, session=sess)
        yield Case(f"{s}-batch", body=[rpc("tools/list", id=1), call("get_user_profile", id=2)],
                   headers={**PV, **OK}, stateful=stateful, session=sess)  # fmt: skip
        yield Case(f"{s}-batch-of-notifications", body=[rpc("notifications/initialized", id=None)], headers=PV,
                   stateful=stateful, session=sess)  # fmt: skip
        yield Case(f"{s}-response-posted", body={"jsonrpc": "2.0", "id": 3, "result": {}}, headers=PV,
                   stateful=stateful, session=sess)  # fmt: skip
        yield Case(f"{s}-406-accept", body=rpc("tools/list"), headers={**PV, "Accept": "text/html"},
                   stateful=stateful, session=sess)  # fmt: skip
        yield Case(f"{s}-406-accept-sse-only", body=rpc("tools/list"), headers={**PV, "Accept": "text/event-stream"},
                   stateful=stateful, session=sess)  # fmt: skip
        yield Case(f"{s}-415-content-type", body=rpc("tools/list"), headers={**PV, "Content-Type": "text/plain"},
                   stateful=stateful, session=sess)  # fmt: skip
        yield Case(f"{s}-421-host", body=rpc("tools/list"), headers={**PV, "Host": "evil.example"}, stateful=stateful,
                   session=sess)  # fmt: skip
        yield Case(f"{s}-403-origin", body=rpc("tools/list"), headers={**PV, "Origin": "http://evil.example"},
                   stateful=stateful, session=sess)  # fmt: skip
        yield Case(f"{s}-bad-protocol-version", body=rpc("tools/list"), headers={"MCP-Protocol-Version": "1999-01-01"},
                   stateful=stateful, session=sess)  # fmt: skip
        yield Case(f"{s}-no-protocol-version", body=call("get_user_profile"), headers=OK, stateful=stateful,
                   session=sess)  # fmt: skip
        yield Case(f"{s}-get", method="GET", headers=PV, stateful=stateful, session=sess)
        yield Case(f"{s}-delete", method="DELETE", headers=PV, stateful=stateful, session=sess)
        yield Case(f"{s}-put", method="PUT", body=rpc("tools/list"), headers=PV, stateful=stateful, session=sess)
        yield Case(f"{s}-healthz", method="GET", path="/healthz", stateful=stateful)
        yield Case(f"{s}-modern-profile", body=call("get_user_profile") | {"params": {"name": "get_user_profile",
                   "arguments": {}, "_meta": MODERN_META}}, headers={**MODERN_HEADERS, **OK}, stateful=stateful)  # fmt: skip
        yield Case(f"{s}-modern-url-elicitation", body=call("get_user_profile") | {"params": {
                   "name": "get_user_profile", "arguments": {}, "_meta": MODERN_META}},
                   headers={**MODERN_HEADERS, **CONSENT}, stateful=stateful)  # fmt: skip
        yield Case(f"{s}-modern-notification", body=rpc("notifications/initialized", id=None),
                   headers={"MCP-Protocol-Version": MODERN}, stateful=stateful)  # fmt: skip
    yield Case("stateful-consent-url-elicitation", body=call("get_user_profile"), headers={**PV, **CONSENT},
               stateful=True, session="valid-url")  # fmt: skip
    yield Case("stateful-bogus-session", body=rpc("tools/list"), headers=PV, stateful=True, session="bogus")
    yield Case("stateful-no-session", body=rpc("tools/list"), headers=PV, stateful=True)
    yield Case("stateful-get-no-session", method="GET", headers=PV, stateful=True)
    yield Case("stateful-delete-bogus", method="DELETE", headers=PV, stateful=True, session="bogus")


CASES = list(_cases())


def make_tools(gateway_url: str, workdir: Path) -> Tools:
    """Through config.json and `mcp-server`'s own assembly, so the fixture follows the hand-off's schema."""
    write_config(workdir, gateway_url=gateway_url, stack="wire")
    return make_server_tools(
        workdir / "config.json", session_store=None, token_header=DEFAULT_TOKEN_HEADER, token_file=None
    )


@contextmanager
def serving_both(workdir: Path) -> Iterator[dict[bool, str]]:
    """The fake gateway, and the server as `mcp-server` serves it, stateless and stateful."""
    with serving_asgi(fake_gateway) as gateway:
        security = transport_security([], [])
        # one Tools (one gateway pool) per server: each serves from its own thread's event loop
        stateless_tools, stateful_tools = (make_tools(f"{gateway}/mcp", workdir) for _ in range(2))
        with (
            serving_asgi(
                _closing(stateless_tools, http_app(build_server(stateless_tools), stateful=False, security=security))
            ) as stateless,
            serving_asgi(
                _closing(stateful_tools, http_app(build_server(stateful_tools), stateful=True, security=security))
            ) as stateful,
        ):
            yield {False: stateless, True: stateful}


def _closing(tools: Tools, app: Any) -> Any:
    """`app`, closing the gateway pool on its own loop at shutdown (no unclosed-socket warnings)."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            return await app(scope, receive, send)

        async def send_after_closing(message: Any) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await tools.gateway.aclose()
            await send(message)

        return await app(scope, receive, send_after_closing)

    return wrapped


BASE_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def exchange(base: str, case: Case) -> dict[str, Any]:
    """Send `case` and reduce the answer to what clients can rely on."""
    with httpx2.Client(timeout=10) as http:
        headers = {**BASE_HEADERS, **case.headers}
        if case.session.startswith("valid"):
            opening = INIT_URL if case.session == "valid-url" else INIT
            answer = http.post(f"{base}/mcp", json=opening, headers=BASE_HEADERS)
            headers["Mcp-Session-Id"] = answer.headers["mcp-session-id"]
        elif case.session == "bogus":
            headers["Mcp-Session-Id"] = "0" * 32
        content = case.raw if case.raw is not None else (None if case.body is None else json.dumps(case.body).encode())
        request = http.build_request(case.method, base + case.path, content=content, headers=headers)
        response = http.send(request, stream=True)
        try:
            kind = response.headers.get("content-type", "")
            body = None if kind.startswith("text/event-stream") else _reduce(response.read())
            if "consent" in case.headers.get("Authorization", ""):
                body = _without_consent_text(body)
        finally:
            response.close()
    return {
        "status": response.status_code,
        "content-type": kind,
        "session-id": "mcp-session-id" in response.headers,
        "allow": response.headers.get("allow"),
        "body": body,
    }


_URL = re.compile(r"https?://127\.0\.0\.1:\d+")


def _reduce(raw: bytes) -> Any:
    text = _URL.sub("http://127.0.0.1:PORT", raw.decode())
    try:
        return json.loads(text)
    except ValueError:
        return text


def _without_consent_text(value: Any) -> Any:
    """The consent link and its wording belong to the consent flow (handoff/links.py), not to the wire:
    strings that carry them are compared as a placeholder; keys, codes and ids still must match."""
    if isinstance(value, dict):
        return {k: _without_consent_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_consent_text(v) for v in value]
    if isinstance(value, str) and ("http" in value or "authoriz" in value.lower()):
        return "<consent>"
    return value


def record() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as workdir, serving_both(Path(workdir)) as bases:
        recorded = {case.name: exchange(bases[case.stateful], case) for case in CASES}
    FIXTURE.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(recorded)} exchanges in {FIXTURE}", file=sys.stderr)


if __name__ == "__main__":
    record()
