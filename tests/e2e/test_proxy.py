"""Through mcp-proxy-for-aws 1.7.0 (a client nobody here wrote). It pins mcp<2, so it runs in its own
environment: `uv tool run --from mcp-proxy-for-aws==1.7.0` (fetched from PyPI on first use, then
cached). It signs with SigV4 and turns -32042 into a generic error, so this proves the server's
plain-result fallback."""

from __future__ import annotations

import os
import shutil

import pytest
from mcp import Client, StdioServerParameters

from demo.browser import authorize
from reconciler.client_config import proxy_args
from tests.callback.conftest import Deployment
from tests.sandbox.helpers import mint

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def proxy_command() -> list[str]:
    """MCP_PROXY_FOR_AWS may name an installed executable; otherwise uv runs the pinned release."""
    if os.environ.get("MCP_PROXY_FOR_AWS"):
        return [os.environ["MCP_PROXY_FOR_AWS"]]
    uv = shutil.which("uv")
    assert uv, "uv is needed to run mcp-proxy-for-aws in its own environment"
    return [uv, "tool", "run", "--from", "mcp-proxy-for-aws==1.7.0", "mcp-proxy-for-aws"]


def proxy_params(endpoint: str, token: str, sandbox_environ: dict[str, str]) -> StdioServerParameters:
    """mcp-proxy-for-aws with the arguments `reconcile output --client` prints, signing with the sandbox's
    credentials (its endpoint left out: the proxy must reach `endpoint` itself)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        **sandbox_environ,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    env.pop("AWS_ENDPOINT_URL")
    command = proxy_command()
    arguments = proxy_args(endpoint, region="us-east-1", token=token)[1:]  # [0] names the package for uvx
    return StdioServerParameters(command=command[0], args=[*command[1:], *arguments], env=env)


async def test_first_call_gives_a_clickable_link_and_after_consent_the_repositories(deployment: Deployment) -> None:
    alice = mint(deployment.stack.sandbox.url, "alice")
    params = proxy_params(deployment.mcp, alice, deployment.stack.sandbox.environ)
    async with Client(params, mode="legacy") as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert {"get_user_profile", "get_user_repos"} <= names
        first = await client.call_tool("get_user_repos", {"per_page": 5})
        text = first.content[0].text
        assert "Authorization needed" in text
        link = text.split("Authorize here: ")[1].split()[0]
        assert link.startswith(f"{deployment.callback}/oauth/start?link=")
        assert authorize(link, login="alice").status_code == 200
        second = await client.call_tool("get_user_repos", {"per_page": 5})
    assert second.is_error is False
    assert "alice/alice-project-" in second.content[0].text
