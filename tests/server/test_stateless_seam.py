"""The seam between server/stateless_json.py and the SDK it relies on (pinned exactly in pyproject.toml):
the SDK pieces exist and behave as the direct path assumes, the direct path takes what it should and
leaves the rest to the SDK. The answers themselves are compared in test_wire_compat.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp.server.streamable_http import StreamableHTTPServerTransport

import server.stateless_json as direct
from server.app import build_server, http_app
from server.hardening import transport_security
from tests.asgi import serving_asgi
from tests.server.wire_cases import BASE_HEADERS, INIT, LEGACY, MODERN_META, call, fake_gateway, make_tools, rpc

HEADERS = {**BASE_HEADERS, "MCP-Protocol-Version": LEGACY, "Authorization": "Bearer ok"}


def test_the_sdk_is_the_version_the_direct_path_was_written_for() -> None:
    assert version("mcp") == "2.3.0" and version("mcp-types") == "2.3.0"


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[str, dict[str, int]]]:
    """A served stateless server, counting direct answers and the SDK transports built."""
    counts = {"direct": 0, "sdk": 0}
    serve_one, sdk_init = direct.serve_one, StreamableHTTPServerTransport.__init__

    async def counting_serve_one(*args: Any, **kwargs: Any) -> dict[str, Any]:
        counts["direct"] += 1
        return await serve_one(*args, **kwargs)

    def counting_init(self: StreamableHTTPServerTransport, *args: Any, **kwargs: Any) -> None:
        counts["sdk"] += 1
        sdk_init(self, *args, **kwargs)

    monkeypatch.setattr(direct, "serve_one", counting_serve_one)
    monkeypatch.setattr(StreamableHTTPServerTransport, "__init__", counting_init)
    with serving_asgi(fake_gateway) as gateway:
        tools = make_tools(f"{gateway}/mcp", tmp_path)
        app = http_app(build_server(tools), stateful=False, security=transport_security([], []))
        with serving_asgi(app) as base:
            yield f"{base}/mcp", counts


def post(url: str, body: Any, **headers: str) -> httpx2.Response:
    return httpx2.post(url, content=json.dumps(body).encode(), headers={**HEADERS, **headers}, timeout=10)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(call("get_user_profile"), id="tools-call"),
        pytest.param(rpc("tools/list"), id="tools-list"),
        pytest.param({**call("get_user_profile"), "id": "text-id"}, id="string-id"),
    ],
)
def test_single_tool_requests_take_the_direct_path(counted: tuple[str, dict[str, int]], body: Any) -> None:
    url, counts = counted
    answer = post(url, body)
    assert answer.status_code == 200 and answer.json()["id"] == body["id"] and "result" in answer.json()
    assert counts == {"direct": 1, "sdk": 0}


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param(INIT, {}, id="initialize"),
        pytest.param(rpc("ping"), {}, id="other-method"),
        pytest.param([call("get_user_profile")], {}, id="batch"),
        pytest.param(rpc("notifications/initialized", id=None), {}, id="notification"),
        pytest.param({**call("get_user_profile"), "extra": 1}, {}, id="extra-member"),
        pytest.param({**call("get_user_profile"), "id": True}, {}, id="boolean-id"),
        pytest.param(call("get_user_profile"), {"Mcp-Session-Id": "abc"}, id="session-header"),
        pytest.param(call("get_user_profile"), {"Accept": "text/event-stream"}, id="sse-only"),
        pytest.param(call("get_user_profile"), {"MCP-Protocol-Version": "2026-07-28"}, id="modern-version"),
    ],
)
def test_everything_else_is_left_to_the_sdk(
    counted: tuple[str, dict[str, int]], body: Any, headers: dict[str, str]
) -> None:
    url, counts = counted
    post(url, body, **headers)
    assert counts["direct"] == 0


def test_direct_path_needs_a_running_stateless_json_manager(tmp_path: Path) -> None:
    server = build_server(make_tools("http://127.0.0.1:9/mcp", tmp_path))
    app = server.streamable_http_app(stateless_http=True, json_response=True)
    manager = server.session_manager
    assert manager.app is not None and manager.stateless and manager.json_response
    assert hasattr(manager, "_task_group") and hasattr(manager, "_lifespan_state")  # read by the direct path
    assert direct.StatelessJSON(app, server)._running() is False  # not started: the SDK's path answers
    stateful = build_server(make_tools("http://127.0.0.1:9/mcp", tmp_path))
    stateful.streamable_http_app(stateless_http=False, json_response=True)
    with pytest.raises(ValueError, match="stateless"):
        direct.StatelessJSON(app, stateful)


ODD = {
    "modern-envelope-under-legacy-header": {
        **call("get_user_profile"),
        "params": {"name": "get_user_profile", "arguments": {}, "_meta": MODERN_META},
    },
    "progress-token": {
        **call("get_user_profile"),
        "params": {"name": "get_user_profile", "_meta": {"progressToken": 5}},
    },
    "extra-param-member": {**call("get_user_profile"), "params": {"name": "get_user_profile", "zzz": 1}},
    "wrong-argument-type": call("get_user_repos", {"per_page": "many"}),
    "unknown-argument": call("get_user_repos", {"nope": 1}),
    "null-arguments": {**call("get_user_profile"), "params": {"name": "get_user_profile", "arguments": None}},
    "name-not-a-string": {**call("get_user_profile"), "params": {"name": 5}},
    "tools-list-cursor": rpc("tools/list", {"cursor": "abc"}),
    "tools-list-null-params": {**rpc("tools/list"), "params": None},
    "huge-id": {**call("get_user_profile"), "id": 2**70},
    "empty-string-id": {**call("get_user_profile"), "id": ""},
    "consent": call("get_user_profile"),
    "refused": call("get_user_profile"),
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving_asgi(fake_gateway) as gateway:
        tools = make_tools(f"{gateway}/mcp", tmp_path_factory.mktemp("seam"))
        app = http_app(build_server(tools), stateful=False, security=transport_security([], []))
        with serving_asgi(app) as base:
            yield f"{base}/mcp"


@pytest.mark.parametrize("name", list(ODD))
def test_the_direct_path_answers_byte_for_byte_as_the_sdk_path(served: str, name: str) -> None:
    """The same request twice: once as it comes (direct path), once with a session header, which the
    stateless SDK ignores and which sends it the SDK's way."""
    token = name if name in ("consent", "refused") else "ok"
    direct_answer = post(served, ODD[name], Authorization=f"Bearer {token}")
    sdk_answer = post(served, ODD[name], Authorization=f"Bearer {token}", **{"Mcp-Session-Id": "x"})
    for answer in (direct_answer, sdk_answer):
        answer.headers.pop("date", None)
    if name == "consent":  # each -32042 makes its own one-time link
        assert direct_answer.status_code == sdk_answer.status_code == 200
        assert direct_answer.json().keys() == sdk_answer.json().keys()
        return
    assert (direct_answer.status_code, direct_answer.headers.get("content-type"), direct_answer.content) == (
        sdk_answer.status_code,
        sdk_answer.headers.get("content-type"),
        sdk_answer.content,
    )
