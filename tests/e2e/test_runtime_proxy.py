"""The architecture of issue 14 end to end: mcp-proxy-for-aws 1.7.0 (SigV4) -> the sandbox's
AgentCore Runtime (InvokeAgentRuntime) -> the packaged mcp-server running from the zip uploaded to
the sandbox's S3 -> the gateway -> GitHub consent through the callback -> the user's repositories.

The runtime's server and the callback share the SQLite session store beside config.json (the
DynamoDB store replaces it once the runtime kind hands the table over)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from mcp import Client
from mcp.types import CallToolResult, TextContent

from demo.browser import authorize
from reconciler.packaging import ENTRY_POINT, Artifact
from server.identity import DEFAULT_TOKEN_HEADER
from tests.callback.conftest import Deployment
from tests.e2e.test_proxy import proxy_params
from tests.packaging.conftest import build
from tests.sandbox.helpers import mint
from tests.sandbox.runtime_helpers import BUCKET, create_runtime, execution_role, settle, upload
from tests.sandbox.test_runtime_invoke import invocation_url

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def host_zip(tmp_path_factory: pytest.TempPathFactory) -> Artifact:
    return build(tmp_path_factory.mktemp("runtime-e2e-zip"), platform="host")


def deploy(workdir: Path, artifact: Artifact) -> dict[str, Any]:
    control = boto3.client("bedrock-agentcore-control")
    key = upload(artifact.path.read_bytes(), key=artifact.key("e2e/server"))
    code = {"s3": {"bucket": BUCKET, "prefix": key}}
    created = create_runtime(
        control,
        execution_role(),
        key,
        agentRuntimeName="e2e_mcp_server",
        agentRuntimeArtifact={
            "codeConfiguration": {"code": code, "runtime": artifact.platform.runtime, "entryPoint": ENTRY_POINT}
        },
        requestHeaderConfiguration={"requestHeaderAllowlist": [DEFAULT_TOKEN_HEADER]},
        environmentVariables={"MCP_SERVER_CONFIG": str(workdir / "config.json")},
    )
    runtime = settle(control, created["agentRuntimeId"])
    assert runtime["status"] == "READY", runtime.get("failureReason")
    return runtime


def text_of(result: CallToolResult) -> str:
    item = result.content[0]
    assert isinstance(item, TextContent), item
    return item.text


async def test_through_the_proxy_and_the_runtime_the_consent_flow_completes(
    deployment: Deployment, workdir: Path, host_zip: Artifact
) -> None:
    sandbox = deployment.stack.sandbox
    runtime = deploy(workdir, host_zip)
    alice = mint(sandbox.url, "alice")
    params = proxy_params(invocation_url(sandbox.url, runtime["agentRuntimeArn"]), alice, sandbox.environ)
    async with Client(params, mode="legacy") as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert {"get_user_profile", "get_user_repos"} <= names
        first = await client.call_tool("get_user_repos", {"per_page": 5})
        text = text_of(first)
        assert "Authorization needed" in text
        link = text.split("Authorize here: ")[1].split()[0]
        assert link.startswith(f"{deployment.callback}/oauth/start?link=")
        assert authorize(link, login="alice").status_code == 200
        second = await client.call_tool("get_user_repos", {"per_page": 5})
    assert second.is_error is False
    assert "alice/alice-project-" in text_of(second)
