"""A gateway stand-in that answers every tools/call instantly with a fixed profile: what is left
of a call's latency through it is the cost of whoever sits in front (our MCP server).

    python bench/minimal_gateway.py PORT [full|seed]

tools/list answers with the tools the gateway builds from openapi/github.yaml (all, or the seed's two).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

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


def listing(toolset: str) -> bytes:
    """tools/list as the gateway builds it from openapi/github.yaml (the sandbox's builder); `seed`: the two
    operations the server had before issue 23."""
    import yaml

    from sandbox.gateway_openapi import openapi_tools

    document = yaml.safe_load((ROOT / "openapi" / "github.yaml").read_text())
    tools = [t.descriptor() for t in openapi_tools("GitHubTarget", document, {})]
    if toolset == "seed":
        tools = [t for t in tools if t["name"].endswith(("getAuthenticatedUser", "listUserRepositories"))]
    return json.dumps({"jsonrpc": "2.0", "id": 1, "result": {"tools": tools}}).encode()


ROOT = Path(__file__).resolve().parent.parent
LISTING = b""


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    answer = LISTING if b'"tools/list"' in body else BODY
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": answer})


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    LISTING = listing(sys.argv[2] if len(sys.argv) > 2 else "full")
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
