"""The sandbox's identity provider as an OAuth 2.1 authorization server for MCP clients (MCP 2025-11-25
"Authorization"), driven over plain HTTP as a client and a browser would: metadata, code + PKCE S256,
refresh-token rotation and revocation, RFC 8707 resource -> aud, RFC 7591 registration and Client ID
Metadata Documents."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sandbox.server import Sandbox
from tests.asgi import serving_asgi

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
NATIVE_REDIRECT = "http://127.0.0.1:4999/callback"
RESOURCE = "https://mcp.example.test/mcp"


@dataclass
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


@pytest.fixture
def base(sandbox_server: Sandbox, monkeypatch: pytest.MonkeyPatch) -> str:
    """The sandbox's URL; the authorization server keeps no per-test account state worth a reset."""
    for name in ("SANDBOX_OIDC_TOKEN_LIFETIME", "SANDBOX_OIDC_REDIRECT_URIS"):
        monkeypatch.delenv(name, raising=False)
    return sandbox_server.url


def register(base: str, **metadata: Any) -> dict[str, Any]:
    body = {"redirect_uris": [NATIVE_REDIRECT], "grant_types": ["authorization_code", "refresh_token"], **metadata}
    answer = httpx.post(f"{base}/oidc/register", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def authorize_query(client_id: str, redirect_uri: str, pkce: Pkce, **extra: str) -> dict[str, str]:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": "state-123",
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
    }
    return {**query, **extra}


def sign_in(base: str, query: dict[str, str], user: str = "alice") -> dict[str, str]:
    """The browser's part: the sign-in page, then its form; returns the redirect's query parameters."""
    page = httpx.get(f"{base}/oidc/authorize", params=query)
    assert page.status_code == 200 and 'id="sign-in"' in page.text, page.text
    back = httpx.post(f"{base}/oidc/authorize", data={**dict(HIDDEN.findall(page.text)), "user": user})
    assert back.status_code == 302, back.text
    location = back.headers["location"]
    assert location.startswith(query["redirect_uri"] + "?"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def token(base: str, **form: str) -> httpx.Response:
    return httpx.post(f"{base}/oidc/token", data=form)


def code_flow(base: str, client_id: str, *, user: str = "alice", **extra: str) -> dict[str, Any]:
    pkce = Pkce.new()
    back = sign_in(base, authorize_query(client_id, NATIVE_REDIRECT, pkce, **extra), user)
    form = {"resource": extra["resource"]} if "resource" in extra else {}
    answer = token(
        base,
        grant_type="authorization_code",
        code=back["code"],
        redirect_uri=NATIVE_REDIRECT,
        client_id=client_id,
        code_verifier=pkce.verifier,
        **form,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def claims(base: str, token: str, audience: str) -> dict[str, Any]:
    jwks = jwt.PyJWKClient(f"{base}/oidc/jwks")
    key = jwks.get_signing_key_from_jwt(token)
    return dict(jwt.decode(token, key.key, algorithms=["RS256"], audience=audience, issuer=f"{base}/oidc"))


def refresh(base: str, client_id: str, refresh_token: str, **extra: str) -> httpx.Response:
    return token(base, grant_type="refresh_token", refresh_token=refresh_token, client_id=client_id, **extra)


def error_of(answer: httpx.Response) -> str:
    assert answer.status_code in (400, 401), answer.text
    return str(answer.json()["error"])


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/.well-known/oauth-authorization-server/oidc", id="rfc8414-inserted"),
        pytest.param("/.well-known/openid-configuration/oidc", id="rfc8414-section5-inserted"),
        pytest.param("/oidc/.well-known/openid-configuration", id="oidc-discovery-appended"),
        pytest.param("/oidc/.well-known/oauth-authorization-server", id="appended"),
    ],
)
def test_metadata_is_served_at_every_location_mcp_clients_try(base: str, path: str) -> None:
    metadata = httpx.get(f"{base}{path}").json()
    issuer = f"{base}/oidc"
    assert metadata["issuer"] == issuer
    assert metadata["authorization_endpoint"] == f"{issuer}/authorize"
    assert metadata["token_endpoint"] == f"{issuer}/token"
    assert metadata["registration_endpoint"] == f"{issuer}/register"
    assert metadata["jwks_uri"] == f"{issuer}/jwks"
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["token_endpoint_auth_methods_supported"] == ["none"]
    assert metadata["client_id_metadata_document_supported"] is True


def test_code_flow_with_pkce_on_any_loopback_port(base: str) -> None:
    client_id = register(base, client_name="Test client")["client_id"]
    pkce = Pkce.new()
    redirect = "http://127.0.0.1:53123/callback"  # registered on 4999: RFC 8252 section 7.3
    page = httpx.get(f"{base}/oidc/authorize", params=authorize_query(client_id, redirect, pkce))
    assert "Test client" in page.text
    back = sign_in(base, authorize_query(client_id, redirect, pkce, scope="openid", nonce="n-1"))
    assert back["state"] == "state-123" and back["iss"] == f"{base}/oidc"
    answer = token(
        base,
        grant_type="authorization_code",
        code=back["code"],
        redirect_uri=redirect,
        client_id=client_id,
        code_verifier=pkce.verifier,
    )
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    tokens = answer.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600 and tokens["refresh_token"]
    access = claims(base, tokens["access_token"], audience=client_id)
    assert (access["sub"], access["client_id"], access["scope"]) == ("alice", client_id, "openid")
    identity = claims(base, tokens["id_token"], audience=client_id)
    assert identity["nonce"] == "n-1" and identity["sub"] == "alice"


def test_no_id_token_without_openid_scope(base: str) -> None:
    tokens = code_flow(base, register(base)["client_id"])
    assert "id_token" not in tokens and "scope" not in tokens


def test_a_code_is_single_use_and_its_reuse_revokes_what_it_gave(base: str) -> None:
    client_id, pkce = register(base)["client_id"], Pkce.new()
    back = sign_in(base, authorize_query(client_id, NATIVE_REDIRECT, pkce))
    form = {
        "grant_type": "authorization_code",
        "code": back["code"],
        "redirect_uri": NATIVE_REDIRECT,
        "client_id": client_id,
        "code_verifier": pkce.verifier,
    }
    first = token(base, **form).json()
    assert error_of(token(base, **form)) == "invalid_grant"
    assert error_of(refresh(base, client_id, first["refresh_token"])) == "invalid_grant"


def test_refresh_tokens_rotate_and_a_used_one_ends_the_family(base: str) -> None:
    client_id = register(base)["client_id"]
    first = code_flow(base, client_id)
    second = refresh(base, client_id, first["refresh_token"])
    assert second.status_code == 200, second.text
    renewed = second.json()
    assert renewed["refresh_token"] != first["refresh_token"]
    assert claims(base, renewed["access_token"], audience=client_id)["sub"] == "alice"
    replayed = refresh(base, client_id, first["refresh_token"])
    assert error_of(replayed) == "invalid_grant" and "already used" in replayed.json()["error_description"]
    assert error_of(refresh(base, client_id, renewed["refresh_token"])) == "invalid_grant"


def test_a_refresh_token_belongs_to_its_client(base: str) -> None:
    mine, other = register(base)["client_id"], register(base)["client_id"]
    tokens = code_flow(base, mine)
    assert error_of(refresh(base, other, tokens["refresh_token"])) == "invalid_grant"


def test_revoking_a_user_ends_their_refresh_tokens_only(base: str) -> None:
    client_id = register(base)["client_id"]
    alice, bob = code_flow(base, client_id, user="alice"), code_flow(base, client_id, user="bob")
    revoked = httpx.post(f"{base}/oidc/__revoke", json={"user": "alice"})
    assert revoked.status_code == 200 and revoked.json()["revoked"] >= 1
    refused = refresh(base, client_id, alice["refresh_token"])
    assert error_of(refused) == "invalid_grant" and "sign in again" in refused.json()["error_description"]
    assert refresh(base, client_id, bob["refresh_token"]).status_code == 200


def test_resource_becomes_the_audience_and_cannot_change(base: str) -> None:
    client_id = register(base)["client_id"]
    tokens = code_flow(base, client_id, resource=RESOURCE)
    access = claims(base, tokens["access_token"], audience=RESOURCE)
    assert access["aud"] == RESOURCE and access["client_id"] == client_id
    assert error_of(refresh(base, client_id, tokens["refresh_token"], resource=RESOURCE + "/other")) == "invalid_target"
    renewed = refresh(base, client_id, tokens["refresh_token"], resource=RESOURCE)  # the refusal used nothing up
    assert claims(base, renewed.json()["access_token"], audience=RESOURCE)["aud"] == RESOURCE
    later = refresh(base, client_id, renewed.json()["refresh_token"])  # no resource: the authorized one
    assert claims(base, later.json()["access_token"], audience=RESOURCE)["aud"] == RESOURCE


def test_a_token_request_for_another_resource_is_refused(base: str) -> None:
    client_id, pkce = register(base)["client_id"], Pkce.new()
    back = sign_in(base, authorize_query(client_id, NATIVE_REDIRECT, pkce, resource=RESOURCE))
    answer = token(
        base,
        grant_type="authorization_code",
        code=back["code"],
        redirect_uri=NATIVE_REDIRECT,
        client_id=client_id,
        code_verifier=pkce.verifier,
        resource="https://elsewhere.example.test/mcp",
    )
    assert error_of(answer) == "invalid_target"


def test_token_lifetime_follows_the_environment(base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_OIDC_TOKEN_LIFETIME", "60")
    client_id = register(base)["client_id"]
    tokens = code_flow(base, client_id)
    access = claims(base, tokens["access_token"], audience=client_id)
    assert tokens["expires_in"] == 60 and access["exp"] - access["iat"] == 60
    minted = httpx.post(f"{base}/oidc/token", json={"user": "bob"}).json()
    assert minted["expires_in"] == 60


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        pytest.param({"redirect_uris": ["http://app.example.test/cb"]}, "invalid_redirect_uri", id="http-not-loopback"),
        pytest.param({"redirect_uris": ["https://app.example.test/cb#x"]}, "invalid_redirect_uri", id="fragment"),
        pytest.param({"redirect_uris": ["com.example.app:/cb"]}, "invalid_redirect_uri", id="private-use-scheme"),
        pytest.param({"redirect_uris": []}, "invalid_redirect_uri", id="no-redirect-uris"),
        pytest.param({"token_endpoint_auth_method": "client_secret_basic"}, "invalid_client_metadata", id="secret"),
        pytest.param({"grant_types": ["client_credentials"]}, "invalid_client_metadata", id="client-credentials"),
        pytest.param({"response_types": ["token"]}, "invalid_client_metadata", id="implicit"),
    ],
)
def test_dynamic_registration_refuses_what_this_server_cannot_honour(
    base: str, metadata: dict[str, Any], error: str
) -> None:
    body = {"redirect_uris": [NATIVE_REDIRECT], **metadata}
    answer = httpx.post(f"{base}/oidc/register", json=body)
    assert answer.status_code == 400 and answer.json()["error"] == error, answer.text


def test_dynamic_registration_answers_as_rfc7591_says(base: str) -> None:
    answer = httpx.post(
        f"{base}/oidc/register",
        json={"redirect_uris": ["https://app.example.test/cb", NATIVE_REDIRECT], "client_name": "Claude"},
    )
    assert answer.status_code == 201
    client = answer.json()
    assert client["client_id"] and client["token_endpoint_auth_method"] == "none"
    assert client["grant_types"] == ["authorization_code"] and client["response_types"] == ["code"]
    assert client["redirect_uris"] == ["https://app.example.test/cb", NATIVE_REDIRECT]
    assert "refresh_token" not in code_flow(base, client["client_id"])  # it did not ask for refresh_token


@pytest.mark.parametrize(
    "redirect_uri",
    [
        pytest.param("http://127.0.0.1:4999/other", id="other-path"),
        pytest.param("http://127.0.0.1:4999/callback?x=1", id="extra-query"),
        pytest.param("http://localhost:4999/callback", id="other-loopback-name"),
        pytest.param("http://attacker.example.test:4999/callback", id="foreign-host"),
        pytest.param("https://127.0.0.1:4999/callback", id="other-scheme"),
    ],
)
def test_unregistered_redirect_gets_an_error_page_and_no_redirect(base: str, redirect_uri: str) -> None:
    client_id, pkce = register(base)["client_id"], Pkce.new()
    query = authorize_query(client_id, redirect_uri, pkce)
    page = httpx.get(f"{base}/oidc/authorize", params=query)
    assert page.status_code == 400 and "not registered" in page.text and "location" not in page.headers
    posted = httpx.post(f"{base}/oidc/authorize", data={**query, "user": "alice"})
    assert posted.status_code == 400 and "location" not in posted.headers


def test_an_unknown_registered_client_gets_an_error_page(base: str) -> None:
    page = httpx.get(f"{base}/oidc/authorize", params=authorize_query("sandbox-dcr-nope", NATIVE_REDIRECT, Pkce.new()))
    assert page.status_code == 400 and "location" not in page.headers


@pytest.mark.parametrize(
    ("change", "error"),
    [
        pytest.param({"code_challenge": ""}, "invalid_request", id="no-challenge"),
        pytest.param({"code_challenge_method": "plain"}, "invalid_request", id="plain"),
        pytest.param({"code_challenge_method": ""}, "invalid_request", id="no-method-means-plain"),
        pytest.param({"response_type": "token"}, "unsupported_response_type", id="implicit"),
        pytest.param({"scope": "admin"}, "invalid_scope", id="unknown-scope"),
        pytest.param({"resource": "mcp-server"}, "invalid_target", id="relative-resource"),
        pytest.param({"state": ""}, "invalid_request", id="no-state"),
    ],
)
def test_bad_authorization_requests_are_sent_back_with_an_error(base: str, change: dict[str, str], error: str) -> None:
    client_id = register(base)["client_id"]
    query = {k: v for k, v in {**authorize_query(client_id, NATIVE_REDIRECT, Pkce.new()), **change}.items() if v}
    page = httpx.get(f"{base}/oidc/authorize", params=query)
    assert page.status_code == 302, page.text
    assert page.headers["location"].startswith(NATIVE_REDIRECT + "?")
    back = parse_qs(urlsplit(page.headers["location"]).query)
    assert back["error"] == [error] and "code" not in back
    assert back.get("state") == ([query["state"]] if "state" in query else None)


def test_a_wrong_pkce_verifier_is_refused(base: str) -> None:
    client_id, pkce = register(base)["client_id"], Pkce.new()
    back = sign_in(base, authorize_query(client_id, NATIVE_REDIRECT, pkce))
    answer = token(
        base,
        grant_type="authorization_code",
        code=back["code"],
        redirect_uri=NATIVE_REDIRECT,
        client_id=client_id,
        code_verifier=Pkce.new().verifier,
    )
    assert error_of(answer) == "invalid_grant"


def test_a_pre_registered_loopback_uri_without_a_port_takes_any_port(
    base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SANDBOX_OIDC_REDIRECT_URIS", "http://127.0.0.1/native/callback")
    pkce = Pkce.new()
    back = sign_in(base, authorize_query("sandbox-demo", "http://127.0.0.1:40123/native/callback", pkce))
    answer = token(
        base,
        grant_type="authorization_code",
        code=back["code"],
        redirect_uri="http://127.0.0.1:40123/native/callback",
        client_id="sandbox-demo",
        code_verifier=pkce.verifier,
    )
    assert answer.status_code == 200 and answer.json()["refresh_token"]


# Client ID Metadata Documents, served by a small app on loopback
DOCUMENTS: dict[str, Any] = {}


async def _document(request: Request) -> Response:
    name = request.path_params["name"]
    if name == "moved.json":
        return RedirectResponse(str(request.url).replace("moved", "good"))
    if name not in DOCUMENTS:
        return JSONResponse({"error": "not found"}, status_code=404)
    return JSONResponse(DOCUMENTS[name])


@pytest.fixture(scope="module")
def documents() -> Iterator[str]:
    app = Starlette(routes=[Route("/clients/{name}", _document)])
    with serving_asgi(app) as url:
        yield f"{url}/clients"


def publish(documents: str, name: str, **metadata: Any) -> str:
    client_id = f"{documents}/{name}"
    DOCUMENTS[name] = {
        "client_id": client_id,
        "client_name": "Doc client",
        "redirect_uris": [NATIVE_REDIRECT],
        **metadata,
    }
    return client_id


def test_a_client_id_metadata_document_is_a_client(base: str, documents: str) -> None:
    client_id = publish(documents, "good.json", grant_types=["authorization_code", "refresh_token"])
    tokens = code_flow(base, client_id, resource=RESOURCE)
    access = claims(base, tokens["access_token"], audience=RESOURCE)
    assert access["client_id"] == client_id and tokens["refresh_token"]
    assert refresh(base, client_id, tokens["refresh_token"], resource=RESOURCE).status_code == 200


@pytest.mark.parametrize(
    ("name", "metadata", "redirect_uri"),
    [
        pytest.param("liar.json", {"client_id": "https://other.example.test/client"}, NATIVE_REDIRECT, id="id-differs"),
        pytest.param("narrow.json", {}, "http://127.0.0.1:4999/elsewhere", id="redirect-not-listed"),
        pytest.param("secret.json", {"client_secret": "s"}, NATIVE_REDIRECT, id="has-a-secret"),
        pytest.param("basic.json", {"token_endpoint_auth_method": "client_secret_basic"}, NATIVE_REDIRECT, id="basic"),
        pytest.param("missing.json", None, NATIVE_REDIRECT, id="not-found"),
        pytest.param("moved.json", None, NATIVE_REDIRECT, id="redirect-not-followed"),
    ],
)
def test_a_bad_metadata_document_gets_an_error_page(
    base: str, documents: str, name: str, metadata: dict[str, Any] | None, redirect_uri: str
) -> None:
    client_id = f"{documents}/{name}"
    if metadata is not None:
        publish(documents, name)
        DOCUMENTS[name].update(metadata)
    page = httpx.get(f"{base}/oidc/authorize", params=authorize_query(client_id, redirect_uri, Pkce.new()))
    assert page.status_code == 400 and "location" not in page.headers


@pytest.mark.parametrize(
    "client_id",
    [
        pytest.param("https://client.example.test/metadata.json", id="not-loopback"),
        pytest.param("http://client.example.test/metadata.json", id="plain-http"),
        pytest.param("https://127.0.0.1:9/", id="no-path"),
        pytest.param("https://127.0.0.1:9/a/../b.json", id="dot-segment"),
    ],
)
def test_metadata_document_urls_the_sandbox_will_not_fetch(base: str, client_id: str) -> None:
    page = httpx.get(f"{base}/oidc/authorize", params=authorize_query(client_id, NATIVE_REDIRECT, Pkce.new()))
    assert page.status_code == 400 and "location" not in page.headers
