"""Issue 21's SigV4 door end to end: the shipped stack applied (Runtime included); alice and bob, two AWS
principals (each an IAM user with their own access key) and two identity-provider users, each sign in once
with `mcp-connect login` (the browser seam driving the sandbox's sign-in page), then each runs their own
`mcp-connect` process as an MCP client would (stdio), through the sandbox's AgentCore Runtime (SigV4 checked
against the account's keys) to the packaged mcp-server, the gateway and the callback: each links and sees only
their own GitHub account. Access tokens live 5 s here, so the second call is made with a token `mcp-connect`
renewed by itself."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import anyio
import boto3
import pytest
from click.testing import CliRunner
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from callback.app import build_app
from callback.setup import make_state
from connect.__main__ import main
from demo.browser import authorize
from sandbox.server import Sandbox
from tests.asgi import free_port, serving_asgi
from tests.conftest import reconcile
from tests.connect.conftest import LOOPBACK_REDIRECT, browser
from tests.e2e.test_runtime_proxy import text_of

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def own_aws_keys(name: str) -> dict[str, str]:
    """An IAM user of the sandbox account with an access key of their own: another AWS principal."""
    iam = boto3.client("iam")
    iam.create_user(UserName=f"{name}-dev")
    key = iam.create_access_key(UserName=f"{name}-dev")["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


def connect_params(
    config: Path, home: Path, sandbox: Sandbox, keys: dict[str, str] | None = None
) -> StdioServerParameters:
    """`mcp-connect --config config.json` as a client entry starts it: the user's AWS credentials (`keys`, else
    the sandbox's) in the environment, not AWS_ENDPOINT_URL (the invocation URL is in config.json)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {**sandbox.environ, **(keys or {}), "AWS_EC2_METADATA_DISABLED": "true", "MCP_CONNECT_HOME": str(home)}
    env |= {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}  # never a developer's real keyring
    env.pop("AWS_ENDPOINT_URL", None)
    return StdioServerParameters(command=sys.executable, args=["-m", "connect", "--config", str(config)], env=env)


async def test_two_users_each_through_their_own_mcp_connect_get_their_own_account(
    sandbox: Sandbox, workdir: Path, no_keyring: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    port = free_port()
    monkeypatch.setenv("CALLBACK_URL", f"http://127.0.0.1:{port}/oauth/callback")
    monkeypatch.setenv("SANDBOX_OIDC_REDIRECT_URIS", LOOPBACK_REDIRECT)
    applied = reconcile("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    config = workdir / "config.json"
    homes = {name: tmp_path / f"home-{name}" for name in ("alice", "bob")}
    keys = {name: own_aws_keys(name) for name in homes}
    assert keys["alice"]["AWS_ACCESS_KEY_ID"] != keys["bob"]["AWS_ACCESS_KEY_ID"]
    for name, home in homes.items():
        monkeypatch.setattr("webbrowser.open", browser(name))
        login = CliRunner().invoke(main, ["login", "--config", str(config)], env={"MCP_CONNECT_HOME": str(home)})
        assert login.exit_code == 0, login.output
    monkeypatch.setenv("SANDBOX_OIDC_TOKEN_LIFETIME", "5")
    state = make_state(config, session_store=None, csrf_secret=None)
    seen: dict[str, str] = {}

    async def user(name: str) -> None:
        log = tmp_path / f"{name}.log"
        with log.open("w") as errlog:
            transport = stdio_client(connect_params(config, homes[name], sandbox, keys[name]), errlog=errlog)
            async with Client(transport, mode="legacy") as client:
                assert {"get_user_profile", "get_user_repos"} <= {t.name for t in (await client.list_tools()).tools}
                first = text_of(await client.call_tool("get_user_repos", {"per_page": 5}))
                link = first.split("Authorize here: ")[1].split()[0]
                response = await anyio.to_thread.run_sync(lambda: authorize(link, login=name))
                assert response.status_code == 200
                await anyio.sleep(6)  # the first access token has expired: mcp-connect renewed it
                result = await client.call_tool("get_user_repos", {"per_page": 5})
                assert result.is_error is False, text_of(result)
                seen[name] = text_of(result)

    with serving_asgi(build_app(state), port=port):
        async with anyio.create_task_group() as users:
            users.start_soon(user, "alice")
            users.start_soon(user, "bob")
    assert "alice/alice-project-" in seen["alice"] and "bob/" not in seen["alice"]
    assert "bob/bob-project-" in seen["bob"] and "alice/" not in seen["bob"]
    for name, home in homes.items():
        (entry,) = json.loads((home / "credentials.json").read_text()).values()
        log = (tmp_path / f"{name}.log").read_text()
        assert entry["refresh_token"] not in log and "eyJ" not in log  # no refresh token, no JWT in its stderr
