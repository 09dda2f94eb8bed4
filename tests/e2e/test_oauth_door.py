"""Issue 21's OAuth door end to end: the shipped stack applied with `RUNTIME_AUTHORIZER=CUSTOM_JWT` (the runtime
and the gateway both require the API scope; no client id listed, so self-registered clients are accepted). Two
people, each with the MCP SDK's own OAuth client given only the runtime's URL: the 401 names the metadata, the
client registers itself, its user signs in on the sandbox's page in headless Chromium, and the token reaches the
packaged server, which forwards it to the gateway. Each links and sees only their own GitHub account. At the
runtime's door, a token without the API's scope is refused, and so is one the same issuer gave a client for
another resource (another `resource` and another API's scope, through the same sign-in): README "Doors",
"Audience and scope"."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import anyio
import httpx
import httpx2
import jwt
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from callback.app import build_app
from callback.setup import make_state
from demo import chromium
from demo.browser import authorize
from demo.doors import LOOPBACK_REDIRECT, OAuthDoor
from sandbox.oidc import API_SCOPES
from sandbox.server import Sandbox
from tests.asgi import free_port, serving_asgi
from tests.conftest import reconcile
from tests.e2e.test_runtime_proxy import text_of

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
LIST_TOOLS = b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
OTHER_API = "other-api/read"
"""Another API of the same identity provider (SANDBOX_OIDC_API_SCOPES lists both), as a Cognito user pool or an
Entra tenant serves many resource servers."""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_two_users_sign_in_by_themselves_and_each_reaches_their_own_account(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv("CALLBACK_URL", f"http://127.0.0.1:{port}/oauth/callback")
    monkeypatch.setenv("RUNTIME_AUTHORIZER", "CUSTOM_JWT")
    monkeypatch.setenv("OIDC_SCOPES", API_SCOPES)
    monkeypatch.setenv("SANDBOX_OIDC_API_SCOPES", f"{API_SCOPES},{OTHER_API}")
    monkeypatch.setenv("SANDBOX_OIDC_REDIRECT_URIS", LOOPBACK_REDIRECT)  # the other resource's native client
    monkeypatch.delenv("OIDC_CLIENT_ID")
    applied = reconcile("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    url = reconcile("output", "runtime.invocation_url").output.strip()
    assert url.startswith(sandbox.url)
    monkeypatch.setenv("OIDC_CLIENT_ID", "sandbox-demo")  # the callback's own sign-in client, not the gateway's
    state = make_state(workdir / "config.json", session_store=None, csrf_secret=None)
    doors = {name: OAuthDoor(url, name, browser=in_chromium) for name in ("alice", "bob")}  # their MCP clients
    seen: dict[str, str] = {}

    async def user(name: str) -> None:
        http = httpx2.AsyncClient(auth=doors[name].provider(), timeout=60.0)
        async with http, Client(streamable_http_client(url, http_client=http), mode="legacy") as client:  # type: ignore[arg-type]
            assert {"get_user_profile", "get_user_repos"} <= {t.name for t in (await client.list_tools()).tools}
            first = text_of(await client.call_tool("get_user_repos", {"per_page": 5}))
            link = first.split("Authorize here: ")[1].split()[0]
            response = await anyio.to_thread.run_sync(lambda: authorize(link, login=name))
            assert response.status_code == 200, response.text
            result = await client.call_tool("get_user_repos", {"per_page": 5})
            assert result.is_error is False, text_of(result)
            seen[name] = text_of(result)

    with serving_asgi(build_app(state), port=port):
        async with anyio.create_task_group() as users:
            users.start_soon(user, "alice")
            users.start_soon(user, "bob")
    assert "alice/alice-project-" in seen["alice"] and "bob/" not in seen["alice"]
    assert "bob/bob-project-" in seen["bob"] and "alice/" not in seen["bob"]
    for name, door in doors.items():
        assert door.client is not None and door.tokens is not None and door.signed_in == [name]  # once each
        claims = jwt.decode(door.tokens.access_token, options={"verify_signature": False})
        assert claims["sub"] == name and API_SCOPES in claims["scope"].split() and claims["aud"] == url

    # At the runtime's door: no token gets the challenge; a token of the same issuer without the scope is refused.
    bare = httpx.post(url, content=LIST_TOOLS, headers=MCP_HEADERS, timeout=30)
    assert bare.status_code == 401 and "resource_metadata=" in bare.headers["WWW-Authenticate"]
    unscoped = httpx.post(f"{sandbox.url}/oidc/token", json={"user": "alice"}, timeout=30).json()["access_token"]
    refused = httpx.post(
        url, content=LIST_TOOLS, headers={**MCP_HEADERS, "Authorization": f"Bearer {unscoped}"}, timeout=30
    )
    assert refused.status_code in (401, 403), refused.text
    assert json.dumps(seen).count("eyJ") == 0  # no token in any tool result

    # A token the same issuer gave, through the same sign-in, to a client of another resource: refused too.
    other = await anyio.to_thread.run_sync(_token_for_another_resource, sandbox, "alice")  # Playwright: not in a loop
    claims = jwt.decode(other, options={"verify_signature": False})
    assert claims["sub"] == "alice" and claims["aud"] == "https://other.example/mcp" and claims["scope"] == OTHER_API
    elsewhere = httpx.post(
        url, content=LIST_TOOLS, headers={**MCP_HEADERS, "Authorization": f"Bearer {other}"}, timeout=30
    )
    assert elsewhere.status_code in (401, 403), elsewhere.text


def in_chromium(person: str, authorization_url: str) -> str:
    return chromium.sign_in(person, authorization_url, answer_redirect=True)


def _token_for_another_resource(sandbox: Sandbox, person: str) -> str:
    """Authorization code + PKCE for `https://other.example/mcp` with the other API's scope, by the sandbox's
    pre-registered client, signed in in headless Chromium."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect = LOOPBACK_REDIRECT.replace("127.0.0.1", f"127.0.0.1:{free_port()}")
    resource, state = "https://other.example/mcp", secrets.token_urlsafe(16)
    query = {
        "response_type": "code",
        "client_id": "sandbox-demo",
        "redirect_uri": redirect,
        "scope": OTHER_API,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "resource": resource,
    }
    landed = parse_qs(urlsplit(in_chromium(person, f"{sandbox.url}/oidc/authorize?{urlencode(query)}")).query)
    assert landed["state"] == [state] and "code" in landed, landed
    form = {
        "grant_type": "authorization_code",
        "code": landed["code"][0],
        "redirect_uri": redirect,
        "client_id": "sandbox-demo",
        "code_verifier": verifier,
        "resource": resource,
    }
    answer = httpx.post(f"{sandbox.url}/oidc/token", data=form, timeout=30)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])
