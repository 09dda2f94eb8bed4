"""Two users at once through mcp-server + oauth-callback never see each other's data; a link
opened and approved by the wrong user gives that user nothing."""

from __future__ import annotations

import asyncio

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError

from demo.browser import Browser, approve_on_github, authorize, session_id_of
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


async def user_journey(deployment: Deployment, user: str) -> list[dict]:
    token = mint(deployment.stack.sandbox.url, user)
    first = await call(deployment, token, "get_user_repos")
    done = await asyncio.to_thread(authorize, first["authorization_required"]["url"], login=user)
    assert done.status_code == 200 and "id='done'" in done.text
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


async def still_unauthorized(deployment: Deployment, *tokens: str) -> None:
    """Nothing was linked: the vault is empty and each user's next call asks for authorization again."""
    assert deployment.stack.sandbox.app.flow.vault == {}
    for token in tokens:
        assert (await call(deployment, token, "get_user_profile"))["authorization_required"] is not None


async def test_a_forwarded_consent_link_links_nobody(deployment: Deployment) -> None:
    """Alice forwards the server's link to bob. Bob, signed in as himself, is refused before AgentCore (he never
    sees its URL) and the session is cancelled, so alice cannot finish it with anything bob does either."""
    alice, bob = mint(deployment.stack.sandbox.url, "alice"), mint(deployment.stack.sandbox.url, "bob")
    link = (await call(deployment, alice, "get_user_profile"))["authorization_required"]["url"]
    with Browser("bob") as bobs:
        refused = bobs.open(link)
        assert refused.status_code == 403 and "started by alice" in refused.text and "cancelled" in refused.text
        assert not any("request_uri" in url for url in bobs.visited)
    with Browser("alice") as alices:
        assert alices.open(link).status_code == 409
    await still_unauthorized(deployment, alice, bob)


async def test_a_forwarded_agentcore_url_links_nobody(deployment: Deployment) -> None:
    """Alice opens her link (signed in as alice, her browser marked), copies the AgentCore URL her browser was
    sent to and forwards it to bob. Bob approves on GitHub as bob; his browser lands on the callback without
    alice's cookie, which cancels the session: neither bob nor alice can link bob's account to alice."""
    alice, bob = mint(deployment.stack.sandbox.url, "alice"), mint(deployment.stack.sandbox.url, "bob")
    link = (await call(deployment, alice, "get_user_profile"))["authorization_required"]["url"]
    with Browser("alice") as alices:
        alices.open(link)
        forwarded = alices.agentcore_url
        with Browser("bob") as bobs:
            landing = bobs.approve(bobs.open(forwarded))
            assert landing.status_code == 403 and "not started in this browser" in landing.text
            assert "id='confirm'" not in landing.text
        uri = session_id_of(str(landing.url))
        late = alices.open(str(landing.url))  # alice, with her cookie and her sign-in, after bob's approval
        assert late.status_code == 409 and "id='confirm'" not in late.text
        token = deployment.state.csrf.issue(uri)
        alices.http.cookies.set("oauth_callback_csrf", token)
        posted = alices.http.post(
            f"{deployment.callback}/oauth/callback", data={"session_id": uri, "csrf_token": token}
        )
        assert posted.status_code == 409
    with pytest.raises(ClientError) as denied:  # nor can bob bind it to himself at AWS
        boto3.client("bedrock-agentcore").complete_resource_token_auth(
            sessionUri=uri, userIdentifier={"userToken": bob}
        )
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    await still_unauthorized(deployment, alice, bob)


async def test_residual_risk_a_victim_whose_browser_never_reaches_the_callback(deployment: Deployment) -> None:
    """What remains (README, Security model): if bob's browser never reaches the callback after approving (a
    callback on `localhost` of alice's machine is unreachable from bob's), nothing cancels the session, and
    alice, in her own marked and signed-in browser, can complete it with bob's GitHub account. A hosted
    HTTPS callback, which every victim's browser reaches, turns this into the cancellation above."""
    alice = mint(deployment.stack.sandbox.url, "alice")
    link = (await call(deployment, alice, "get_user_profile"))["authorization_required"]["url"]
    with Browser("alice") as alices:
        alices.open(link)
        landing = approve_on_github(alices.agentcore_url, login="bob")  # bob's browser stops before the callback
        page = alices.open(landing)
        assert page.status_code == 200 and "id='confirm'" in page.text
        assert alices.confirm(page).status_code == 200
    assert (await call(deployment, alice, "get_user_profile"))["login"] == "bob"


def short_token(deployment: Deployment, user: str, seconds: int) -> str:
    answer = httpx.post(f"{deployment.stack.sandbox.url}/oidc/token", json={"user": user, "expires_in": seconds})
    return str(answer.raise_for_status().json()["access_token"])


async def test_a_sign_in_renewed_between_the_link_and_the_click(deployment: Deployment) -> None:
    """Issue 21: clients renew their JWT on their own. While the token that asked is still valid, the consent
    completes for it, and the renewed token (same issuer and subject) reads the linked account; once it has
    expired, the page says what to do, nothing is linked, and a new link from the renewed token completes."""
    asked = short_token(deployment, "alice", 120)
    link = (await call(deployment, asked, "get_user_profile"))["authorization_required"]["url"]
    renewed = mint(deployment.stack.sandbox.url, "alice")
    done = await asyncio.to_thread(authorize, link, login="alice")
    assert done.status_code == 200 and "id='done'" in done.text
    assert (await call(deployment, renewed, "get_user_profile"))["login"] == "alice"

    asked = short_token(deployment, "bob", 2)
    link = (await call(deployment, asked, "get_user_profile"))["authorization_required"]["url"]
    await asyncio.sleep(3)  # bob's client renewed its sign-in meanwhile; the token that asked has expired
    renewed = mint(deployment.stack.sandbox.url, "bob")
    page = await asyncio.to_thread(authorize, link, login="bob")
    assert page.status_code == 410 and "Call the tool again" in page.text
    assert ("bob" not in key for key in deployment.stack.sandbox.app.flow.vault)
    again = (await call(deployment, renewed, "get_user_profile"))["authorization_required"]["url"]
    done = await asyncio.to_thread(authorize, again, login="bob")
    assert done.status_code == 200 and (await call(deployment, renewed, "get_user_profile"))["login"] == "bob"
