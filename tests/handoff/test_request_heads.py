"""The bounded request-head protocol both programs serve with (handoff/request_heads.py), in-process over real
sockets: heads up to the limits pass (also pipelined, also after a large body), one byte or one field more is
refused with a closed connection, and heads that do not arrive in time - trickled, or never started - are
closed (408 when a head had begun) while another client is served. The deadline is shortened in a subclass;
waits are hang guards, not timings."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator

import pytest
import uvicorn

from handoff.request_heads import MAX_FIELDS, MAX_HEAD_BYTES, BoundedHttpTools
from tests.asgi import serving_asgi

GUARD = 60.0


class QuickHeads(BoundedHttpTools):
    head_seconds = 0.5


async def echo(scope: dict, receive, send) -> None:  # type: ignore[no-untyped-def, type-arg]
    """Answers with the number of body bytes and of header fields it got."""
    if scope["type"] != "http":
        return
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = b"%d %d" % (size, len(scope["headers"]))
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with serving_asgi(echo, http=QuickHeads) as base:
        yield int(base.rsplit(":", 1)[1])


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=GUARD)


def responses(connection: socket.socket, count: int) -> list[bytes]:
    """`count` whole responses (each with a Content-Length) read from the connection."""
    buffer, found = b"", []
    while len(found) < count:
        head, sep, rest = buffer.partition(b"\r\n\r\n")
        length = next(
            (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")),
            None,
        )
        if sep and length is not None and len(rest) >= length:
            found.append(head + sep + rest[:length])
            buffer = rest[length:]
            continue
        chunk = connection.recv(65536)
        assert chunk, (found, buffer[:200])
        buffer += chunk
    return found


def until_closed(connection: socket.socket) -> bytes:
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def request(fields: int = 1, field_size: int = 10, body: bytes = b"") -> bytes:
    """A POST with `fields` header fields in all (Host, Content-Length and fillers) of `field_size` bytes each."""
    fillers = b"".join(b"X-%05d: %s\r\n" % (n, b"v" * (field_size - 11)) for n in range(fields - 2))
    return b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), fillers, body)


def test_heads_within_the_limits_pass_pipelined_and_after_a_large_body(port: int) -> None:
    most = request(fields=MAX_FIELDS, field_size=(MAX_HEAD_BYTES - 200) // MAX_FIELDS)
    assert len(most) < MAX_HEAD_BYTES
    with connect(port) as connection:
        connection.sendall(request(body=b"x" * 300_000) + most + most + request(fields=3))
        answers = responses(connection, 4)
    bodies = [a.split(b"\r\n\r\n")[1] for a in answers]
    assert bodies == [b"300000 2", b"0 %d" % MAX_FIELDS, b"0 %d" % MAX_FIELDS, b"0 3"]


@pytest.mark.parametrize(
    ("head", "status"),
    [
        pytest.param(request(fields=MAX_FIELDS + 1), b"431", id="one-field-too-many"),
        pytest.param(request(fields=3, field_size=MAX_HEAD_BYTES), b"431", id="one-field-too-large"),
        pytest.param(b"GET /" + b"u" * MAX_HEAD_BYTES + b" HTTP/1.1\r\nHost: h\r\n\r\n", b"414", id="url-too-long"),
    ],
)
def test_a_head_past_a_limit_is_refused_and_closed(port: int, head: bytes, status: bytes) -> None:
    with connect(port) as connection:
        connection.sendall(head)
        received = until_closed(connection)
    assert received.startswith(b"HTTP/1.1 " + status) and b"connection: close" in received


def test_a_trickled_head_is_closed_with_408_while_another_client_is_served(port: int) -> None:
    with connect(port) as slow, connect(port) as other:
        slow.sendall(b"GET / HTTP/1.1\r\nHost: h\r\n")
        other.sendall(request())
        assert responses(other, 1)[0].endswith(b"0 2")
        deadline = time.monotonic() + GUARD
        try:
            while not select.select([slow], [], [], 0.05)[0]:  # a field now and then, until the server answers
                assert time.monotonic() < deadline, "the trickled head was never closed"
                slow.sendall(b"X-Slow: v\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert until_closed(slow).startswith(b"HTTP/1.1 408")


def test_a_connection_that_never_sends_is_closed_silently(port: int) -> None:
    with connect(port) as silent:
        assert until_closed(silent) == b""


def test_a_kept_alive_connection_that_trickles_its_next_head_is_closed(port: int) -> None:
    with connect(port) as connection:
        connection.sendall(request())
        responses(connection, 1)
        connection.sendall(b"GET / HTTP/1.1\r\n")  # the next head begins and never ends
        assert until_closed(connection).startswith(b"HTTP/1.1 408")


def test_it_is_what_uvicorn_loads_for_both_programs() -> None:
    from handoff.request_heads import head_settings

    config = uvicorn.Config(echo, **head_settings())
    config.load()
    assert config.http_protocol_class is BoundedHttpTools
