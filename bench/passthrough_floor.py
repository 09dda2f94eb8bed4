"""The floor for an MCP server in front of the gateway: the simplest ASGI app that forwards each POST
body to the gateway and returns its answer, on the best stack measured (uvicorn with uvloop and
httptools, one pooled aiohttp session). Whatever mcp-server costs beyond this is MCP and our tools.

    python bench/passthrough_floor.py PORT GATEWAY_URL
"""

from __future__ import annotations

import sys
from typing import Any

import aiohttp
import uvicorn

FORWARDED = ("authorization", "content-type", "accept", "mcp-protocol-version")


class Passthrough:
    def __init__(self, gateway_url: str):
        self.url = gateway_url
        self.session: aiohttp.ClientSession | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if self.session is None:  # created on the server's own loop
            self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
        headers = {k.decode(): v.decode() for k, v in scope["headers"] if k.decode() in FORWARDED}
        async with self.session.post(self.url, data=body, headers=headers) as answer:
            payload = await answer.read()
            status = answer.status
        start = {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
        await send(start)
        await send({"type": "http.response.body", "body": payload})


if __name__ == "__main__":
    app = Passthrough(sys.argv[2])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False,
                loop="uvloop", http="httptools", lifespan="off")  # fmt: skip
