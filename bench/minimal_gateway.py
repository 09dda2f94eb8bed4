"""A gateway stand-in that answers every tools/call instantly with a fixed profile (a one-repository
list for listUserRepositories): what is left of a call's latency through it is the cost of whoever sits
in front (our MCP server).

    python bench/minimal_gateway.py PORT

tools/list answers with the tools the gateway builds from openapi/github.yaml: all of them at any path,
only the two curated operations (the server's toolset before issue 23) at a path under /seed/ - one
process serves both, so a run compares them against the same gateway.
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


REPOS = json.dumps(
    {
        "jsonrpc": "2.0",
        "id": 1,
        "result": {
            "isError": False,
            "content": [{"type": "text", "text": json.dumps([{"name": "demo", "full_name": "alice/demo"}])}],
        },
    }
).encode()
SEED_PREFIX = "/seed/"
ROOT = Path(__file__).resolve().parent.parent
LISTINGS: dict[str, bytes] = {}


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if b'"tools/list"' in body:
        answer = LISTINGS["seed" if scope["path"].startswith(SEED_PREFIX) else "full"]
    else:
        answer = REPOS if b"___listUserRepositories" in body else BODY
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
    LISTINGS.update(full=listing("full"), seed=listing("seed"))
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
