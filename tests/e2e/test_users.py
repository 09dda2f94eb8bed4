"""Two users at once through mcp-server + oauth-callback never see each other's data; a link
opened and approved by the wrong user gives that user nothing."""

from __future__ import annotations

import asyncio

import boto3
import pytest
from botocore.exceptions import ClientError

from demo.browser import approve_on_github, confirm_on_callback, session_id_of
from tests.callback.conftest import Deployment
from tests.sandbox.helpers import mint
from tests.server.conftest import connect

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def call(deployment: Deployment, token: str, tool: str, arguments: dict | None = None) -> dict:
    async with connect(deployment.mcp, headers={"Authorization": f"Bearer {token}"}) as client:
        return dict((await client.call_tool(tool, arguments or {})).structured_content)


def confirm(landing: str, user: str) -> None:
    assert confirm_on_callback(landing, login=user).status_code == 200


async def user_journey(deployment: Deployment, user: str) -> list[dict]:
    token = mint(deployment.stack.sandbox.url, user)
    first = await call(deployment, token, "get_user_repos")
    landing = await asyncio.to_thread(approve_on_github, first["authorization_required"]["url"], login=user)
    await asyncio.to_thread(confirm, landing, user)
    pages = [await call(deployment, token, "get_user_repos", {"per_page": 3, "page": p}) for p in (1, 2)]
    pages.append(await call(deployment, token, "get_user_profile"))
    return pages


async def test_two_users_in_parallel_get_only_their_own_data(deployment: Deployment) -> None:
    alice, bob = await asyncio.gather(user_journey(deployment, "alice"), user_journey(deployment, "bob"))
    for user, results in (("alice", alice), ("bob", bob)):
        repos = [r for page in results[:2] for r in page["repositories"]]
        assert repos and all(r["full_name"].startswith(f"{user}/") for r in repos)
        assert results[2]["login"] == user
    assert len([r for p in bob[:2] for r in p["repositories"]]) == 4  # bob has 4 repositories, alice 35


async def test_wrong_user_approving_a_forwarded_link_gains_nothing(deployment: Deployment) -> None:
    alice, bob = mint(deployment.stack.sandbox.url, "alice"), mint(deployment.stack.sandbox.url, "bob")
    link = (await call(deployment, alice, "get_user_profile"))["authorization_required"]["url"]
    landing = approve_on_github(link, login="bob")  # alice's link, opened and approved by bob
    with pytest.raises(ClientError) as denied:  # bob cannot bind it to himself
        boto3.client("bedrock-agentcore").complete_resource_token_auth(
            sessionUri=session_id_of(landing), userIdentifier={"userToken": bob}
        )
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    refused = confirm_on_callback(landing, login="bob")  # nor can he confirm it at the callback as himself
    assert refused.status_code == 403 and "started by alice" in refused.text
    assert deployment.stack.sandbox.app.flow.vault == {}
    assert "authorization_required" in {k for k, v in (await call(deployment, bob, "get_user_profile")).items() if v}
