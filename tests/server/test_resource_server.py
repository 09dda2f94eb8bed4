"""Issue 21: a server run outside AgentCore Runtime (`--resource-url`) is an OAuth resource server itself, as the
Runtime's JWT authorizer is in front of the packaged one: RFC 9728 metadata naming the gateway's identity
provider, 401 with the challenge for a request without a token, and only tokens issued for this server's URL
(RFC 8707 `aud`) accepted. The MCP SDK's OAuth client, given only the server's URL, signs in and calls a tool."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull
from pydantic import AnyUrl

from demo.doors import OAuthDoor
from server.app import build_server, http_app
from server.hardening import transport_security
from server.resource_auth import ResourceAuthError, auth_settings
from tests.asgi import free_port, serving_asgi
from tests.server.conftest import Stack, write_config

pytestmark = pytest.mark.anyio
LOOPBACK = "http://127.0.0.1/callback"
LIST = b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
MCP = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def resource(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """mcp-server --resource-url http://127.0.0.1:<port>/mcp on the shared applied stack."""
    monkeypatch.setenv("SANDBOX_OIDC_REDIRECT_URIS", LOOPBACK)  # the pre-registered client's loopback sign-in
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    app = http_app(build_server(stack.tools(), resource_url=url), stateful=False, security=transport_security([], []))
    with serving_asgi(app, port=port):
        yield url


async def test_a_request_without_a_token_gets_the_challenge_and_the_metadata(resource: str, stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        bare = await http.post(resource, content=LIST, headers=MCP)
        assert bare.status_code == 401
        metadata_url = resource.replace("/mcp", "/.well-known/oauth-protected-resource/mcp")
        assert f'resource_metadata="{metadata_url}"' in bare.headers["WWW-Authenticate"]
        metadata = (await http.get(metadata_url)).json()
    assert metadata["resource"] == resource
    assert metadata["authorization_servers"] == [f"{stack.sandbox.url}/oidc"]


async def test_the_sdk_client_signs_in_from_the_url_alone_and_calls_a_tool(resource: str, stack: Stack) -> None:
    """A pre-registered client (the stack's allowed client, as mcp-connect is); its token's `aud` is this server."""
    client = OAuthClientInformationFull(
        client_id=stack.config["gateway"]["authorizer"]["allowed_clients"][0],
        redirect_uris=[AnyUrl("http://127.0.0.1:4999/callback")],
        token_endpoint_auth_method="none",
    )
    door = OAuthDoor(resource, "carol", client=client)
    http = httpx2.AsyncClient(auth=door.provider(), timeout=60)
    async with http, Client(streamable_http_client(resource, http_client=http), mode="legacy") as session:  # type: ignore[arg-type]
        assert "get_user_profile" in {tool.name for tool in (await session.list_tools()).tools}
        result = await session.call_tool("get_user_profile", {})
    assert result.structured_content and result.structured_content["authorization_required"]  # carol's consent next
    assert door.tokens is not None and door.signed_in == ["carol"]


async def test_a_token_issued_for_another_resource_is_refused(resource: str, stack: Stack) -> None:
    """A valid token of the same provider and client, but for another server (RFC 8707 `aud`): 401, as MCP's rule
    against accepting tokens issued for others asks; the same user's token without `aud` of this URL neither."""
    minted = httpx.post(f"{stack.sandbox.url}/oidc/token", json={"user": "carol"}, timeout=30).json()["access_token"]
    async with httpx.AsyncClient(timeout=30) as http:
        refused = await http.post(resource, content=LIST, headers={**MCP, "Authorization": f"Bearer {minted}"})
    assert refused.status_code == 401


def test_only_a_custom_jwt_gateway_can_back_a_resource_server(tmp_path: object) -> None:
    from pathlib import Path

    from handoff.config import load_config

    config = load_config(write_config(Path(str(tmp_path)), "AWS_IAM"))
    assert config.gateway is not None
    with pytest.raises(ResourceAuthError, match="needs a CUSTOM_JWT gateway"):
        auth_settings(config.gateway.authorizer, "https://mcp.example.com/mcp")
