"""The packaged mcp-server, deployed to the sandbox's AgentCore Runtime, answers MCP through
InvokeAgentRuntime: the zip reconciler.packaging builds (for this machine's platform, as the sandbox
runs it) is what serves tools/list and tools/call, not the checked-out code."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest

from reconciler.packaging import ENTRY_POINT, Artifact
from sandbox.server import Sandbox
from server.identity import DEFAULT_TOKEN_HEADER
from tests.packaging.conftest import build
from tests.sandbox.helpers import apply_stack_with_return_urls, mint
from tests.sandbox.runtime_helpers import BUCKET, create_runtime, execution_role, settle, upload
from tests.sandbox.test_runtime_invoke import invocation_url, signed_post

MCP = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "Mcp-Protocol-Version": "2025-11-25",
}


@pytest.fixture(scope="module")
def host_zip(tmp_path_factory: pytest.TempPathFactory) -> Artifact:
    return build(tmp_path_factory.mktemp("runtime-zip"), platform="host")


def _rpc(sandbox: Sandbox, arn: str, method: str, params: dict[str, Any], token: str) -> dict[str, Any]:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    answer = signed_post(invocation_url(sandbox.url, arn), body, {**MCP, DEFAULT_TOKEN_HEADER: token})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def deploy(workdir: Path, host_zip: Artifact) -> dict[str, Any]:
    """The shipped stack applied, and the packaged server as a READY runtime reading its config.json."""
    apply_stack_with_return_urls()
    key = upload(host_zip.path.read_bytes(), key=host_zip.key("demo/server"))
    created = create_runtime(
        boto3.client("bedrock-agentcore-control"),
        execution_role(),
        key,
        agentRuntimeName="demo_mcp_server",
        agentRuntimeArtifact={
            "codeConfiguration": {
                "code": {"s3": {"bucket": BUCKET, "prefix": key}},
                "runtime": host_zip.platform.runtime,
                "entryPoint": ENTRY_POINT,
            }
        },
        requestHeaderConfiguration={"requestHeaderAllowlist": [DEFAULT_TOKEN_HEADER]},
        environmentVariables={"MCP_SERVER_CONFIG": str(workdir / "config.json")},
    )
    runtime = settle(boto3.client("bedrock-agentcore-control"), created["agentRuntimeId"])
    assert runtime["status"] == "READY", runtime.get("failureReason")
    return runtime


def test_the_deployed_zip_serves_the_tools(sandbox: Sandbox, workdir: Path, host_zip: Artifact) -> None:
    runtime = deploy(workdir, host_zip)
    token = mint(sandbox.url, "alice")
    tools = _rpc(sandbox, runtime["agentRuntimeArn"], "tools/list", {}, token)["result"]["tools"]
    assert {"get_user_profile", "get_user_repos"} <= {tool["name"] for tool in tools}
    called = _rpc(
        sandbox, runtime["agentRuntimeArn"], "tools/call", {"name": "get_user_profile", "arguments": {}}, token
    )
    # The deployed server read alice's JWT from the allow-listed header and got -32042 from the gateway:
    # the link is hers (the whole consent flow through the runtime is the end-to-end test to come).
    needed = called["result"]["structuredContent"]["authorization_required"]
    assert needed["url"] and needed["message"].startswith("alice"), called


def test_two_users_calling_at_once_stay_apart(sandbox: Sandbox, workdir: Path, host_zip: Artifact) -> None:
    """Each call carries its own user's JWT in the allow-listed header; nothing of one reaches the other."""
    runtime = deploy(workdir, host_zip)
    tokens = {user: mint(sandbox.url, user) for user in ("alice", "bob")}

    def call(user: str) -> str:
        params = {"name": "get_user_profile", "arguments": {}}
        answer = _rpc(sandbox, runtime["agentRuntimeArn"], "tools/call", params, tokens[user])
        return str(answer["result"]["structuredContent"]["authorization_required"]["message"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        users = ["alice", "bob"] * 8
        messages = list(pool.map(call, users))
    assert all(message.startswith(user) for user, message in zip(users, messages, strict=True)), messages
