"""Serve an ASGI app with uvicorn on a free loopback port, in a thread, for the length of a test."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fixed_port() -> int:
    """A free port below the kernel's ephemeral range (ip_local_port_range starts at 32768 by default), so no
    outgoing connection or bind(0) takes it while the server that owns it is between two tests."""
    for port in random.Random().sample(range(20000, 32000), 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 20000-32000")


@contextmanager
def serving_asgi(app: Any, port: int | None = None, **settings: Any) -> Iterator[str]:
    """`settings`: more of uvicorn.Config's (`http=` a protocol class, ...)."""
    import uvicorn

    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", **settings)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def received_json(receive: Any) -> Any:
    """The request body of an ASGI fake, whole, parsed as JSON."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return json.loads(body)


async def send_json(send: Any, answer: Any, status: int = 200) -> None:
    """`answer` as a JSON response (bytes are sent as they are: a fake's broken body)."""
    payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
