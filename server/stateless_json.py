"""A direct path for the calls that make up a stateless server's load: one JSON-RPC `tools/call` or
`tools/list` POSTed with JSON accepted, answered with one JSON body (issue 15).

The SDK's stateless path builds, per request, a transport, a dispatcher, memory streams and task groups
(~16% of the server's CPU per call, py-spy) to carry one request and one response. This path hands the
request to the SDK's own single-exchange driver (`mcp.server.runner.serve_one`, the kernel its
2026-07-28 entry uses) with the same connection and metadata the stateless transport would give it, and
writes the reply as that transport does. Anything else - another method, a batch, a notification, a
session header, an odd header or body - goes to the SDK untouched, body replayed, so the SDK keeps
answering every edge case itself.

The seam: `mcp` is pinned exactly (pyproject.toml); tests/server/test_stateless_seam.py checks the SDK
pieces this relies on, and tests/server/test_wire_compat.py compares whole answers with the old server's.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
import pydantic_core
from mcp.server import MCPServer
from mcp.server.connection import Connection
from mcp.server.runner import serve_one
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.dispatcher import CallOptions
from mcp.shared.exceptions import NoBackChannelError
from mcp.shared.jsonrpc_dispatcher import handler_exception_to_error_data
from mcp.shared.message import ServerMessageMetadata
from mcp.shared.transport_context import TransportContext
from mcp.types import ErrorData, JSONRPCError, JSONRPCRequest, JSONRPCResponse, RequestId
from mcp_types import DEFAULT_NEGOTIATED_VERSION
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DIRECT_METHODS = frozenset({"tools/call", "tools/list"})
ENVELOPE_KEYS = frozenset({"jsonrpc", "id", "method", "params"})
MAX_BODY = 1 << 20
"""Larger bodies (and bodies without a Content-Length) take the SDK's path, which enforces its own limit."""
TRANSPORT = TransportContext(kind="streamable-http", can_send_request=False)
log = logging.getLogger("mcp.shared.jsonrpc_dispatcher")  # the SDK's logger for a handler that raised


@dataclass
class _OneExchange:
    """The per-request channel of a JSON-response, session-less request: no back-channel, and
    notifications have no wire (the SDK's transport drops them too in JSON-response mode)."""

    request_id: RequestId
    message_metadata: ServerMessageMetadata
    transport: TransportContext = TRANSPORT
    can_send_request: bool = field(default=False, init=False)
    _cancel: anyio.Event | None = field(default=None, init=False)

    @property
    def cancel_requested(self) -> anyio.Event:
        """Made when first asked for: most calls never ask, and an anyio Event costs a backend lookup."""
        if self._cancel is None:
            self._cancel = anyio.Event()
        return self._cancel

    async def send_raw_request(
        self, method: str, params: Mapping[str, Any] | None, opts: CallOptions | None = None
    ) -> dict[str, Any]:
        raise NoBackChannelError(method)

    async def notify(self, method: str, params: Mapping[str, Any] | None, opts: CallOptions | None = None) -> None:
        return None

    async def progress(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        return None


class StatelessJSON:
    """ASGI: answers direct-path requests to `path` itself; passes everything else to `app`."""

    def __init__(self, app: ASGIApp, server: MCPServer, *, path: str = "/mcp"):
        self.app, self.path = app, path
        self.manager: StreamableHTTPSessionManager = server.session_manager
        if not (self.manager.stateless and self.manager.json_response):
            raise ValueError("the direct path is for stateless servers that answer with JSON")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        version = self._version(scope) if scope["type"] == "http" and scope["path"] == self.path else None
        if version is None or not self._running():
            return await self.app(scope, receive, send)
        received, complete = await _read_body(receive)
        body = b"".join(m.get("body", b"") for m in received)
        request = _direct_request(body) if complete else None
        if request is None:
            return await self.app(scope, _replay(received, receive), send)
        await self._answer(request, version, Request(scope, _replay(received, receive)), send)

    def _running(self) -> bool:
        # SDK internal (pinned, seam-tested): set while the manager runs, as its own path requires
        return getattr(self.manager, "_task_group", None) is not None

    def _version(self, scope: Scope) -> str | None:
        """The protocol version a direct-path request runs at, or None: not for this path."""
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in headers:
                return None  # a repeated header: let the SDK decide what it means
            headers[name] = value
        if scope["method"] != "POST" or b"mcp-session-id" in headers:
            return None
        if not headers.get(b"content-type", b"").lower().startswith(b"application/json"):
            return None
        if not _accepts_json(headers.get(b"accept", b"")):
            return None
        length = headers.get(b"content-length", b"")
        if not length.isdigit() or int(length) > MAX_BODY:
            return None
        version = headers.get(b"mcp-protocol-version")
        if version is None:
            return DEFAULT_NEGOTIATED_VERSION  # as the SDK's stateless path assumes
        text = version.decode("latin-1")
        return text if text in HANDSHAKE_PROTOCOL_VERSIONS else None

    async def _answer(self, request: JSONRPCRequest, version: str, http: Request, send: Send) -> None:
        exchange = _OneExchange(request.id, ServerMessageMetadata(request_context=http, can_send_request=False))
        connection = Connection.from_envelope(version, None, None)
        reply: JSONRPCResponse | JSONRPCError
        try:
            result = await serve_one(
                self.manager.app,
                exchange,
                request.method,
                request.params,
                connection=connection,
                lifespan_state=getattr(self.manager, "_lifespan_state", None),
            )
            reply = JSONRPCResponse(jsonrpc="2.0", id=request.id, result=result)
        except Exception as exc:  # the same mapping as the SDK's JSON-RPC dispatcher
            error = handler_exception_to_error_data(exc)
            if error is None:
                log.exception("handler for %r raised", request.method)
                error = ErrorData(code=0, message=str(exc))
            reply = JSONRPCError(jsonrpc="2.0", id=request.id, error=error)
        payload = reply.model_dump_json(by_alias=True, exclude_unset=True).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def _accepts_json(accept: bytes) -> bool:
    """The SDK's rule (check_accept_headers): application/json, application/* or */* among the types."""
    types = {part.split(b";")[0].strip().lower() for part in accept.split(b",")}
    return bool(types & {b"application/json", b"application/*", b"*/*"})


def _direct_request(body: bytes) -> JSONRPCRequest | None:
    """The request when the body is one plain direct-path request; None sends it the SDK's way."""
    try:
        raw = pydantic_core.from_json(body)
    except ValueError:
        return None
    if not isinstance(raw, dict) or not {"jsonrpc", "id", "method"} <= raw.keys() <= ENVELOPE_KEYS:
        return None
    if raw["jsonrpc"] != "2.0" or raw["method"] not in DIRECT_METHODS or type(raw["id"]) not in (int, str):
        return None
    if not isinstance(raw.get("params", {}), dict):
        return None
    try:
        return JSONRPCRequest.model_validate(raw, by_name=False)
    except pydantic_core.ValidationError:
        return None


async def _read_body(receive: Receive) -> tuple[list[Message], bool]:
    """The messages read, and whether they hold the whole body (a disconnect, or more than MAX_BODY, stops)."""
    received: list[Message] = []
    size = 0
    while True:
        message = await receive()
        received.append(message)
        if message["type"] != "http.request":
            return received, False
        size += len(message.get("body", b""))
        if size > MAX_BODY:
            return received, False
        if not message.get("more_body", False):
            return received, True


def _replay(received: list[Message], receive: Receive) -> Callable[[], Awaitable[Message]]:
    """`receive` as if nothing had been read: the messages already read, in order, then the rest."""
    pending = list(reversed(received))

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
