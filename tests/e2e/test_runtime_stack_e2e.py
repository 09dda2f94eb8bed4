"""Issue 14's headline test: the shipped stack, Runtime kinds included, applied by `reconcile apply`;
mcp-proxy-for-aws 1.7.0 at config.json's runtime invocation URL -> the sandbox's AgentCore Runtime ->
the packaged mcp-server (uploaded by the code_artifact kind) -> gateway -> consent through the
callback, both programs sharing the DynamoDB session table the stack created -> the user's data."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import boto3
import pytest
from mcp import Client

from callback.app import build_app
from callback.setup import make_state
from demo.browser import authorize
from demo.mcp_client import proxy_params
from sandbox.server import Sandbox
from tests.asgi import free_port, serving_asgi
from tests.conftest import reconcile
from tests.e2e.test_runtime_proxy import text_of
from tests.sandbox.helpers import mint

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_apply_then_the_proxy_through_the_runtime_with_the_dynamodb_store(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv("CALLBACK_URL", f"http://127.0.0.1:{port}/oauth/callback")
    applied = reconcile("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    config = json.loads((workdir / "config.json").read_text())
    table = config["session_table"]
    state = make_state(workdir / "config.json", session_store=None, csrf_secret=None)
    assert type(state.store).__name__ == "DynamoDbSessionStore"
    alice = mint(sandbox.url, "alice")
    params = proxy_params(
        config["runtime"]["invocation_url"], region="us-east-1", token=alice, aws_environ=sandbox.environ
    )
    with serving_asgi(build_app(state), port=port) as callback:
        async with Client(params, mode="legacy") as client:
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


async def test_two_users_in_parallel_through_the_runtime_each_get_their_own_account(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """alice and bob, each through their own mcp-proxy-for-aws to the one runtime, at the same time:
    each consent links that user's GitHub account, and each sees only their own repositories."""
    port = free_port()
    monkeypatch.setenv("CALLBACK_URL", f"http://127.0.0.1:{port}/oauth/callback")
    applied = reconcile("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    config = json.loads((workdir / "config.json").read_text())
    state = make_state(workdir / "config.json", session_store=None, csrf_secret=None)
    seen: dict[str, str] = {}

    async def user(name: str) -> None:
        token = mint(sandbox.url, name)
        params = proxy_params(
            config["runtime"]["invocation_url"], region="us-east-1", token=token, aws_environ=sandbox.environ
        )
        async with Client(params, mode="legacy") as client:
            first = text_of(await client.call_tool("get_user_repos", {"per_page": 5}))
            link = first.split("Authorize here: ")[1].split()[0]
            response = await anyio.to_thread.run_sync(lambda: authorize(link, login=name))
            assert response.status_code == 200
            seen[name] = text_of(await client.call_tool("get_user_repos", {"per_page": 5}))

    with serving_asgi(build_app(state), port=port):
        async with anyio.create_task_group() as users:
            users.start_soon(user, "alice")
            users.start_soon(user, "bob")
    assert "alice/alice-project-" in seen["alice"] and "bob/" not in seen["alice"]
    assert "bob/bob-project-" in seen["bob"] and "alice/" not in seen["bob"]
