"""The callback app's outer layer, installed by `callback.app.build_app`: strict security headers
on every response, and oversized query strings and bodies refused before any routing, as are requests
with two Host or two Origin fields (400: an intermediary that reads the last one would see another name
than this app did; RFC 9112 §3.2). Here rather than in the HTTP server, so it holds under any ASGI server.

The body cap counts the bytes actually received, so a chunked body (no Content-Length) or a
Content-Length that lies is held to it too: the body is read here, at most MAX_BODY bytes plus one
message, and handed to the app only when it fits."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callback.pages import problem_page

MAX_BODY = 8 * 1024
MAX_QUERY = 2 * 1024
SINGLE_FIELDS = (b"host", b"origin")
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


class Hardening:
    """Strict headers on every response; oversized query strings and bodies refused before routing."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (k, v) for k, v in message.get("headers", []) if k.decode().lower() not in SECURITY_HEADERS
                ]
                message["headers"] += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
            await send(message)

        repeated = repeated_field(scope)
        if repeated is not None:
            message = f"The request has more than one {repeated} header."
            await problem_page("Bad request", message, 400)(scope, receive, with_headers)
            return
        too_large = problem_page("Request too large", "The request is larger than this server accepts.", 413)
        length = dict(scope.get("headers", [])).get(b"content-length", b"0")
        if len(scope.get("query_string", b"")) > MAX_QUERY or (length.isdigit() and int(length) > MAX_BODY):
            await too_large(scope, receive, with_headers)
            return
        body = await read_body(receive, MAX_BODY)
        if body is None:
            await too_large(scope, receive, with_headers)
            return
        await self.app(scope, replay(body, receive), with_headers)


def repeated_field(scope: Scope) -> str | None:
    """The name of a field among Host and Origin that the request carries more than once, if any."""
    names = [name.lower() for name, _ in scope.get("headers", [])]
    return next((name.decode().title() for name in SINGLE_FIELDS if names.count(name) > 1), None)


async def read_body(receive: Receive, limit: int) -> list[Message] | None:
    """The request's messages up to the end of its body, or None as soon as more than `limit` bytes came."""
    messages: list[Message] = []
    received = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages
        received += len(message.get("body", b""))
        if received > limit:
            return None
        if not message.get("more_body", False):
            return messages


def replay(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that gives back `messages`, then whatever the connection sends next (a disconnect)."""
    pending = list(messages)

    async def replaying() -> Message:
        return pending.pop(0) if pending else await receive()

    return replaying
