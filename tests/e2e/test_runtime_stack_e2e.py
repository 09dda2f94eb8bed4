"""Issue 14's headline test: the shipped stack plus the Runtime kinds, applied by `reconcile apply`;
mcp-proxy-for-aws 1.7.0 at config.json's runtime invocation URL -> the sandbox's AgentCore Runtime ->
the packaged mcp-server (uploaded by the code_artifact kind) -> gateway -> consent through the
callback, both programs sharing the DynamoDB session table the stack created -> the user's data."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import boto3
import pytest
from mcp import Client, StdioServerParameters

from callback.__main__ import make_state
from callback.app import build_app
from demo.browser import authorize
from sandbox.server import Sandbox
from server.identity import DEFAULT_TOKEN_HEADER
from tests.asgi import free_port, serving_asgi
from tests.conftest import ROOT, reconcile
from tests.e2e.test_proxy import proxy_command
from tests.e2e.test_runtime_proxy import text_of
from tests.sandbox.helpers import mint

pytestmark = pytest.mark.anyio

RUNTIME_RESOURCES = """
  artifacts:
    kind: artifact_bucket

  server_code:
    kind: code_artifact
    bucket: ${artifacts.name}
    source: ${env:SERVER_SOURCE}

  sessions:
    kind: session_table

  server:
    kind: agent_runtime
    role_arn: ${runtime_role.arn}
    code:
      bucket: ${server_code.bucket}
      key: ${server_code.key}
      runtime: ${server_code.runtime}
    allowed_headers: [X-Amzn-Bedrock-AgentCore-Runtime-Custom-User-Token]
    environment:
      # The sandbox runs the code on this machine, so it can read the config.json apply writes; on AWS
      # the server's configuration must reach it another way (README, "On AgentCore Runtime", Open).
      MCP_SERVER_CONFIG: ${env:RUNTIME_CONFIG_PATH}
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def runtime_workdir(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "openapi", tmp_path / "openapi")
    (tmp_path / "stack.yaml").write_text((ROOT / "stack.yaml").read_text() + RUNTIME_RESOURCES)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SERVER_SOURCE", str(ROOT))
    monkeypatch.setenv("RUNTIME_CONFIG_PATH", str(tmp_path / "config.json"))
    return tmp_path


async def test_apply_then_the_proxy_through_the_runtime_with_the_dynamodb_store(
    sandbox: Sandbox, runtime_workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv("CALLBACK_URL", f"http://127.0.0.1:{port}/oauth/callback")
    applied = reconcile("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    config = json.loads((runtime_workdir / "config.json").read_text())
    table = config["session_table"]
    state = make_state(runtime_workdir / "config.json", session_store=None, csrf_secret=None)
    assert type(state.store).__name__ == "DynamoDbSessionStore"
    alice = mint(sandbox.url, "alice")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **sandbox.environ}
    env.pop("AWS_ENDPOINT_URL")
    command = proxy_command()
    arguments = [*command[1:], config["runtime"]["invocation_url"], "--service", "bedrock-agentcore"]
    arguments += ["--region", "us-east-1", "--header", f"{DEFAULT_TOKEN_HEADER}={alice}", "--disable-telemetry"]
    with serving_asgi(build_app(state), port=port) as callback:
        async with Client(StdioServerParameters(command=command[0], args=arguments, env=env), mode="legacy") as client:
            assert {"get_user_profile", "get_user_repos"} <= {t.name for t in (await client.list_tools()).tools}
            first = text_of(await client.call_tool("get_user_repos", {"per_page": 5}))
            assert "Authorization needed" in first
            link = first.split("Authorize here: ")[1].split()[0]
            assert link.startswith(f"{callback}/oauth/start?link=")
            assert boto3.client("dynamodb").scan(TableName=table)["Count"] > 0  # the runtime's server wrote there
            assert authorize(link, login="alice").status_code == 200
            second = await client.call_tool("get_user_repos", {"per_page": 5})
    assert second.is_error is False
    assert "alice/alice-project-" in text_of(second)
