"""A gateway stand-in that answers every tools/call instantly with a fixed profile: what is left
of a call's latency through it is the cost of whoever sits in front (our MCP server).

    python bench/minimal_gateway.py PORT
"""

from __future__ import annotations

import json
import sys

import uvicorn

BODY = json.dumps(
    {
        "jsonrpc": "2.0",
        "id": 1,
        "result": {
            "isError": False,
            "content": [
                {
                    "type": "text",
                    "text": json.dumps(
                        {
                            "login": "alice",
                            "name": "Alice",
                            "bio": None,
                            "public_repos": 3,
                            "followers": 1,
                            "following": 2,
                            "html_url": "https://github.com/alice",
                        }
                    ),
                }
            ],
        },
    }
).encode()


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": BODY})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
