"""The MCP server against the sandbox's gateway, with the SDK's own clients (2025-11-25 and 2026-07-28)."""

from __future__ import annotations

import json
import logging

import boto3
import pytest
from mcp import MCPError

from handoff.links import START_PATH, callback_address
from tests.sandbox.helpers import consent, mint
from tests.server.conftest import TOKEN_HEADER, Stack, connect, serving
from tests.sessions import server_store, stored_session

pytestmark = pytest.mark.anyio
MODES = [pytest.param("legacy", id="2025-11-25"), pytest.param("auto", id="2026-07-28")]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def authorize(stack: Stack, link: str, token: str, *, login: str) -> None:
    """What the user and the callback do with the server's consent link: consent on GitHub (at the AgentCore
    URL the callback would send the browser to), then bind the session."""
    session_id = consent(stored_session(server_store(stack.workdir), link).authorization_url, login=login)
    boto3.client("bedrock-agentcore").complete_resource_token_auth(
        sessionUri=session_id, userIdentifier={"userToken": token}
    )


def start_page(stack: Stack) -> str:
    """The callback's start page, where the server's consent links point."""
    config = json.loads((stack.workdir / "config.json").read_text())
    return f"{callback_address(config['callback_url'], START_PATH)}?link="


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize("mode", MODES)
async def test_first_call_needs_authorization_then_returns_the_users_data(
    stack: Stack, mcp_url: str, mode: str
) -> None:
    alice = mint(stack.sandbox.url, "alice")
    async with connect(mcp_url, headers=bearer(alice), mode=mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert {"get_user_profile", "get_user_repos"} <= set(tools)  # and the gateway's (test_gateway_tools.py)
        assert all(t.annotations and t.annotations.read_only_hint for t in tools.values())
        assert tools["get_user_repos"].input_schema["properties"]["per_page"]["maximum"] == 100
        first = await client.call_tool("get_user_profile", {})
        assert first.is_error is False
        link = first.structured_content["authorization_required"]["url"]
        assert link in first.content[0].text and "Authorization needed" in first.content[0].text
        assert link.startswith(start_page(stack)) and "request_uri" not in link
        recorded = stored_session(server_store(stack.workdir), link)
        assert recorded.identifier == alice and recorded.display_name == "alice" and recorded.browser_hash is None
        assert "/identities/oauth2/authorize?request_uri=" in recorded.authorization_url
        authorize(stack, link, alice, login="alice")
        profile = await client.call_tool("get_user_profile", {})
        assert profile.structured_content["login"] == "alice" and profile.structured_content["followers"] == 42
        assert profile.content[0].text.startswith("alice (Alice Liddell)")
        page = await client.call_tool("get_user_repos", {"per_page": 10, "page": 1})
        assert len(page.structured_content["repositories"]) == 10 and page.structured_content["has_more"] is True
        last = await client.call_tool("get_user_repos", {"per_page": 10, "page": 4, "sort": "full_name"})
        names = [r["name"] for r in last.structured_content["repositories"]]
        assert names == [f"alice-project-{i}" for i in range(31, 36)] and last.structured_content["has_more"] is False


async def test_client_that_declared_url_elicitation_gets_the_error(stack: Stack, mcp_url: str) -> None:
    alice = mint(stack.sandbox.url, "alice")
    async with connect(mcp_url, headers=bearer(alice), mode="auto", url_elicitation=True) as client:
        with pytest.raises(MCPError) as raised:
            await client.call_tool("get_user_profile", {})
    assert raised.value.error.code == -32042
    (elicitation,) = raised.value.error.data["elicitations"]
    assert elicitation["mode"] == "url" and elicitation["url"].startswith(start_page(stack))


async def test_legacy_client_with_url_elicitation_gets_the_error_from_a_stateful_server(stack: Stack) -> None:
    alice = mint(stack.sandbox.url, "alice")
    with serving(stack.tools(), stateful=True) as base:
        async with connect(f"{base}/mcp", headers=bearer(alice), mode="legacy", url_elicitation=True) as client:
            with pytest.raises(MCPError) as raised:
                await client.call_tool("get_user_repos", {})
    assert raised.value.error.code == -32042


async def test_two_users_see_only_their_own_data(stack: Stack, mcp_url: str) -> None:
    for user in ("alice", "bob"):
        token = mint(stack.sandbox.url, user)
        async with connect(mcp_url, headers=bearer(token)) as client:
            first = await client.call_tool("get_user_repos", {})
            authorize(stack, first.structured_content["authorization_required"]["url"], token, login=user)
    for user, count in (("alice", 30), ("bob", 4)):
        async with connect(mcp_url, headers=bearer(mint(stack.sandbox.url, user))) as client:
            repos = (await client.call_tool("get_user_repos", {})).structured_content["repositories"]
            assert len(repos) == count and all(r["full_name"].startswith(f"{user}/") for r in repos)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        pytest.param({"per_page": 0}, "per_page", id="per_page-0"),
        pytest.param({"per_page": 1000}, "per_page", id="per_page-1000"),
        pytest.param({"sort": "stars"}, "sort", id="unknown-sort"),
        pytest.param({"page": "two"}, "page", id="page-not-a-number"),
    ],
)
async def test_bad_inputs_are_rejected_with_the_field_named(
    stack: Stack, mcp_url: str, arguments: dict, field: str
) -> None:
    async with connect(mcp_url, headers=bearer(mint(stack.sandbox.url, "alice"))) as client:
        result = await client.call_tool("get_user_repos", arguments)
    assert result.is_error and field in result.content[0].text


async def test_missing_credential_says_how_to_send_one(stack: Stack, mcp_url: str) -> None:
    async with connect(mcp_url) as client:
        result = await client.call_tool("get_user_profile", {})
    assert result.is_error
    assert "Authorization: Bearer" in result.content[0].text and TOKEN_HEADER in result.content[0].text


async def test_token_in_custom_header_behind_a_sigv4_proxy(stack: Stack, mcp_url: str) -> None:
    alice = mint(stack.sandbox.url, "alice")
    headers = {
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261127/us-east-1/bedrock-agentcore/aws4_request, "
        "SignedHeaders=host, Signature=" + "0" * 64,
        TOKEN_HEADER: alice,
    }
    async with connect(mcp_url, headers=headers) as client:
        first = await client.call_tool("get_user_profile", {})
        authorize(stack, first.structured_content["authorization_required"]["url"], alice, login="alice")
        assert (await client.call_tool("get_user_profile", {})).structured_content["login"] == "alice"


async def test_gateway_outage_is_a_clear_error_and_the_server_keeps_serving(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    from server.gateway import GatewayClient

    caplog.set_level(logging.DEBUG)
    tools = stack.tools()
    tools.gateway = GatewayClient("http://127.0.0.1:9/mcp", tools.identity)
    alice = mint(stack.sandbox.url, "alice")
    with serving(tools) as base:
        async with connect(f"{base}/mcp", headers=bearer(alice)) as client:
            for _ in range(2):
                result = await client.call_tool("get_user_profile", {})
                assert result.is_error and "cannot reach the gateway" in result.content[0].text
            assert len((await client.list_tools()).tools) == 2
    assert alice not in caplog.text


async def test_tokens_never_reach_the_logs(stack: Stack, mcp_url: str, caplog: pytest.LogCaptureFixture) -> None:
    # The server's, the SDK's and the HTTP clients' logs at every level; botocore (used here by the
    # test itself to play the callback, and wire-logging request bodies at DEBUG) at INFO.
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="botocore")
    alice = mint(stack.sandbox.url, "alice")
    async with connect(mcp_url, headers=bearer(alice)) as client:
        first = await client.call_tool("get_user_profile", {})
        authorize(stack, first.structured_content["authorization_required"]["url"], alice, login="alice")
        await client.call_tool("get_user_repos", {"per_page": 5})
    assert caplog.text and alice not in caplog.text and "gho_sandbox_" not in caplog.text


def test_structured_text_is_json_free(stack: Stack) -> None:
    """The human text is not a JSON dump."""
    from server.models import Profile
    from server.tools import _profile_text

    text = _profile_text(Profile(login="bob", name=None, bio=None, public_repos=2, followers=3, following=11, url="u"))
    with pytest.raises(ValueError):
        json.loads(text)


async def test_a_stack_with_a_session_table_records_sessions_in_dynamodb(stack: Stack) -> None:
    """config.json naming a DynamoDB table (the Runtime deployment) moves the session store there."""
    from handoff.dynamodb_sessions import KEY, DynamoDbSessionStore

    boto3.client("dynamodb").create_table(
        TableName="github-mcp-sessions",
        KeySchema=[{"AttributeName": KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": KEY, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    path = stack.workdir / "config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "session_table": "github-mcp-sessions"}))
    tools = stack.tools()
    assert isinstance(tools.store, DynamoDbSessionStore)
    alice = mint(stack.sandbox.url, "alice")
    with serving(tools) as base:
        async with connect(f"{base}/mcp", headers=bearer(alice)) as client:
            link = (await client.call_tool("get_user_profile", {})).structured_content["authorization_required"]["url"]
    assert stored_session(tools.store, link).identifier == alice
    assert not (stack.workdir / "oauth-sessions.sqlite3").exists()
