"""The shipped stack.yaml cut into the parts tests deploy: without its hosted callback (every test that plans or
applies the stack for something else: each full apply would package and upload the callback's ~27 MB zip and
start a Lambda environment), without its Runtime part as well (tests/kinds/test_runtime_stack.py,
bench/runtime_plan.py, `applied_stack`), or without the server on the Runtime (tests/e2e/test_hosted_callback.py).

`workdir` here is the fixture that the conftest files of the folders whose tests need no hosted callback take in
place of tests/conftest.py's, which copies the shipped file whole."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

RUNTIME_PART = "  # The MCP server on AgentCore Runtime:"
CALLBACK_PART = "  # The OAuth callback on AWS Lambda"
TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/github-mcp-sessions"
HOSTED_URL = "${env:CALLBACK_URL:-${callback_link.url}oauth/callback}"
LOCAL_URL = "${env:CALLBACK_URL:-http://localhost:8080/oauth/callback}"
"""The callback URL of a stack without the hosted callback: a local oauth-callback's, unless CALLBACK_URL is set."""
SERVER = ("runtime_role", "server_code", "server")
"""The server on the Runtime: what the hosted callback needs none of."""


def without_hosted_callback(text: str) -> str:
    """Everything above the hosted callback part, the callback URL defaulting to a local oauth-callback (the text
    as it is when it has no such part: the `workdir` below gives that already)."""
    if CALLBACK_PART not in text:
        return text
    assert HOSTED_URL in text, "the shipped stack's callback_url changed: update tests/shipped_stack.py"
    return text[: text.index(CALLBACK_PART)].replace(HOSTED_URL, LOCAL_URL)


def without_runtime(text: str) -> str:
    """Everything above the Runtime part; the runtime role's reference to the session table made literal."""
    text = without_hosted_callback(text)
    return text[: text.index(RUNTIME_PART)].replace("${sessions.arn}", TABLE_ARN)


def without_server(text: str) -> str:
    """The shipped stack with the hosted callback and without the server on the Runtime (its role, code, runtime);
    the artifact bucket and the session table stay, which the callback uses too."""
    kept, skipping = [], False
    for line in text.splitlines(keepends=True):
        if header := re.match(r"  ([a-z_]+):\s*$", line):
            skipping = header.group(1) in SERVER
        elif re.match(r"  #", line):
            skipping = False
        if not skipping:
            kept.append(line)
    return "".join(kept)


@pytest.fixture
def workdir(workdir: Path) -> Path:
    """tests/conftest.py's `workdir` with the shipped stack without its hosted callback part."""
    stack = workdir / "stack.yaml"
    stack.write_text(without_hosted_callback(stack.read_text()))
    return workdir
