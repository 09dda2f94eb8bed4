"""Through mcp-proxy-for-aws 1.7.0 (a client nobody here wrote), started as `reconcile demo --runtime`
starts it (demo.mcp_client.proxy_params: `uv tool run mcp-proxy-for-aws@1.7.0`, fetched from PyPI on
first use, then cached; it pins mcp<2, so it runs in its own environment). It signs with SigV4 and
turns -32042 into a generic error, so this proves the server's plain-result fallback."""

from __future__ import annotations

import pytest
from mcp import Client, StdioServerParameters

from demo.browser import authorize
from demo.mcp_client import proxy_params as demo_proxy_params
from tests.callback.conftest import Deployment
from tests.sandbox.helpers import mint

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def proxy_params(endpoint: str, token: str, sandbox_environ: dict[str, str]) -> StdioServerParameters:
    """The demo's mcp-proxy-for-aws (`reconcile demo --runtime`), signing with the sandbox's credentials."""
    return demo_proxy_params(endpoint, region=sandbox_environ["AWS_REGION"], token=token, aws_environ=sandbox_environ)


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
