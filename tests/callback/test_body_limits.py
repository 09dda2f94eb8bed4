"""The callback's size cap counts the bytes it receives, not the Content-Length a client declares
(issue 12, item 5): a chunked body over the cap is refused with 413 after at most the cap plus one
chunk was read, and the confirmation form is parsed with field, part and file limits."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from callback.hardening import MAX_BODY, Hardening
from tests.callback.conftest import Deployment

CHUNK = 64 * 1024


def chunks(total: int) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"session_id=" + b"x" * (CHUNK - 11)
        sent += CHUNK


def test_chunked_body_over_the_cap_gets_413(deployment: Deployment) -> None:
    """httpx sends a generator with Transfer-Encoding: chunked and no Content-Length."""
    try:
        response = httpx.post(
            f"{deployment.callback}/oauth/callback",
            content=chunks(20 * 1024 * 1024),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=30,
        )
    except (httpx.WriteError, httpx.RemoteProtocolError):
        return  # the server answered and closed before the client finished sending: also a refusal
    assert response.status_code == 413 and "larger than this server accepts" in response.text
    assert response.headers["x-frame-options"] == "DENY"


async def _record(app: Hardening, messages: list[Message]) -> tuple[int, int]:
    """Run `app` on a POST whose body arrives as `messages`; returns (status, messages read)."""
    read = 0

    async def receive() -> Message:
        nonlocal read
        read += 1
        return messages[read - 1] if read <= len(messages) else {"type": "http.disconnect"}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "method": "POST",
        "path": "/oauth/callback",
        "query_string": b"",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded"), (b"transfer-encoding", b"chunked")],
    }
    await app(scope, receive, send)
    return sent[0]["status"], read


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_memory_stays_bounded_whatever_the_body_size(anyio_backend: str) -> None:
    """An app that would read everything (as request.form() does) never sees more than the cap."""
    seen = 0

    async def reads_everything(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal seen
        while True:
            message = await receive()
            seen += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    body = [{"type": "http.request", "body": b"a" * CHUNK, "more_body": True} for _ in range(2000)]  # 128 MB
    status, read = await _record(Hardening(reads_everything), body)
    assert status == 413 and seen == 0
    assert read <= MAX_BODY // CHUNK + 2

    small = [{"type": "http.request", "body": b"a=1&", "more_body": True}, {"type": "http.request", "body": b"b=2"}]
    assert await _record(Hardening(reads_everything), small) == (200, 2)
    assert seen == 7


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(b"&".join(b"f%d=1" % i for i in range(50)), "application/x-www-form-urlencoded", id="50-fields"),
        pytest.param(
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
            b"Content-Type: text/plain\r\n\r\nhello\r\n--b--\r\n",
            "multipart/form-data; boundary=b",
            id="file-upload",
        ),
    ],
)
def test_form_limits_refuse_extra_fields_and_files(deployment: Deployment, body: bytes, content_type: str) -> None:
    response = httpx.post(f"{deployment.callback}/oauth/callback", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400 and "not the form this server sent" in response.text
