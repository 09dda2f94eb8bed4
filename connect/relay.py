"""The stdio side: MCP messages as JSON lines on stdin/stdout (the MCP stdio transport), each POSTed to the
runtime's invocation URL (streamable HTTP) and the answers written back as lines.

A minimal JSON-RPC relay rather than the SDK's client + server pair: mcp-server on the Runtime is stateless
JSON, so a request is one POST and its answer one JSON body (or an SSE stream, which is read to its end).
The relay keeps the session id and protocol version the server hands out and sends them back, as a
streamable HTTP client must. Requests run concurrently (a slow tool call does not hold up a tools/list);
stdout is written whole lines at a time under a lock.

When the sign-in is gone (a refused refresh), each request gets an answer the user can read: a tool error
for tools/call, a JSON-RPC error otherwise, both saying `mcp-connect login`; stderr says it too."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any

import httpx

from connect.oauth import SignInFailed, SignInRequired

ACCEPT = "application/json, text/event-stream"
SIGN_IN_ERROR = -32001


class Relay:
    def __init__(self, url: str, http: httpx.Client, out: IO[str], say: Callable[[str], None]) -> None:
        self.url, self.http, self.out, self.say = url, http, out, say
        self.session_id: str | None = None
        self.protocol_version: str | None = None
        self._write_lock = threading.Lock()

    def write(self, message: Any) -> None:
        line = json.dumps(message, separators=(",", ":"))
        with self._write_lock:
            self.out.write(line + "\n")
            self.out.flush()

    def handle_line(self, line: str) -> None:
        try:
            message = json.loads(line)
        except ValueError:
            self.write({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}})
            return
        for answer in self.forward(message):
            self.write(answer)

    def forward(self, message: Any) -> list[Any]:
        """The server's answers to one message (none for a notification)."""
        headers = {"Content-Type": "application/json", "Accept": ACCEPT}
        if self.session_id:
            headers["Mcp-Session-Id"] = self.session_id
        if self.protocol_version:
            headers["Mcp-Protocol-Version"] = self.protocol_version
        try:
            response = self.http.post(self.url, content=json.dumps(message).encode(), headers=headers)
        except SignInRequired as exc:
            return _refusals(message, str(exc), tool_error=True)
        except SignInFailed as exc:
            self.say(f"mcp-connect: {exc}")
            return _refusals(message, f"mcp-connect could not sign in: {exc}", tool_error=True)
        except httpx.HTTPError as exc:
            self.say(f"mcp-connect: the runtime could not be reached: {type(exc).__name__}: {exc}")
            return _refusals(message, f"mcp-connect could not reach the runtime: {type(exc).__name__}")
        if session := response.headers.get("Mcp-Session-Id"):
            self.session_id = session
        if response.status_code == 202:
            return []
        if response.status_code >= 400:
            detail = response.text[:300].strip()
            self.say(f"mcp-connect: the runtime answered HTTP {response.status_code}: {detail}")
            return _refusals(message, f"the runtime answered HTTP {response.status_code}: {detail}")
        answers = list(_messages(response))
        for answer in answers:
            result = answer.get("result") if isinstance(answer, dict) else None
            if isinstance(result, dict) and isinstance(result.get("protocolVersion"), str):
                self.protocol_version = result["protocolVersion"]
        return answers

    def serve(self, lines: Iterable[str], workers: int = 8) -> None:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mcp-connect") as pool:
            initialized = False
            for line in lines:
                if not line.strip():
                    continue
                if not initialized:  # the session id and version come back from the first exchange
                    self.handle_line(line)
                    initialized = True
                    continue
                pool.submit(self.handle_line, line)


def _messages(response: httpx.Response) -> Iterable[Any]:
    kind = response.headers.get("Content-Type", "").split(";")[0].strip()
    if kind == "text/event-stream":
        data: list[str] = []
        for raw in response.text.splitlines() + [""]:
            if raw.startswith("data:"):
                data.append(raw[5:].lstrip(" ") if raw[5:6] == " " else raw[5:])
            elif raw == "" and data:
                text = "\n".join(data)
                data = []
                if text.strip():
                    yield from _flat(json.loads(text))
        return
    if not response.content.strip():
        return
    yield from _flat(response.json())


def _flat(body: Any) -> list[Any]:
    return body if isinstance(body, list) else [body]


def _refusals(message: Any, text: str, *, tool_error: bool = False) -> list[Any]:
    """Answers for each request in `message` (notifications and responses get none)."""
    answers = []
    for one in _flat(message):
        if not isinstance(one, dict) or "id" not in one or "method" not in one:
            continue
        if tool_error and one["method"] == "tools/call":
            result = {"content": [{"type": "text", "text": text}], "isError": True}
            answers.append({"jsonrpc": "2.0", "id": one["id"], "result": result})
        else:
            answers.append({"jsonrpc": "2.0", "id": one["id"], "error": {"code": SIGN_IN_ERROR, "message": text}})
    return answers


def stdin_lines() -> Iterable[str]:
    stream = sys.stdin
    while True:
        line = stream.readline()
        if not line:
            return
        yield line
