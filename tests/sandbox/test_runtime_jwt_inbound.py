"""A sandbox AgentCore Runtime with a customJWTAuthorizer: an MCP request without a valid bearer JWT gets 401
and the RFC 9728 metadata URL AgentCore announces; a valid one reaches the code, with `Authorization` only
when allow-listed; SigV4 is refused there, and a SigV4 runtime keeps answering 403 without the challenge.
The MCP SDK's own OAuth client, given only the runtime URL, finds its way through the sandbox's identity
provider."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import boto3
import httpx
import httpx2
import jwt
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric import rsa
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from sandbox.server import Sandbox
from tests.sandbox.helpers import mint
from tests.sandbox.runtime_helpers import ECHO_SERVER, create_runtime, execution_role, settle, upload, zip_of
from tests.sandbox.test_runtime_invoke import CUSTOM, invocation_url, signed_post

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
MCP_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "Mcp-Protocol-Version": "2025-11-25",
}
BODY = b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}'


@pytest.fixture
def control(sandbox: Sandbox) -> Iterator[Any]:
    yield boto3.client("bedrock-agentcore-control")


@pytest.fixture
def role(control: Any) -> str:
    return execution_role()


@pytest.fixture
def key(control: Any) -> str:
    return upload(zip_of({"main.py": ECHO_SERVER}))


def jwt_runtime(
    control: Any,
    sandbox: Sandbox,
    role: str,
    key: str,
    *,
    allowlist: list[str] | None = None,
    protocol: str = "MCP",
    **authorizer: Any,
) -> dict[str, Any]:
    """A READY echo runtime whose inbound authorizer trusts the sandbox's identity provider."""
    config = {"discoveryUrl": f"{sandbox.url}/oidc/.well-known/openid-configuration", **authorizer}
    extra: dict[str, Any] = {"authorizerConfiguration": {"customJWTAuthorizer": config}}
    if allowlist:
        extra["requestHeaderConfiguration"] = {"requestHeaderAllowlist": allowlist}
    created = create_runtime(control, role, key, protocolConfiguration={"serverProtocol": protocol}, **extra)
    return settle(control, created["agentRuntimeId"])


def metadata_url(base: str, arn: str) -> str:
    return f"{base}/runtimes/{quote(arn, safe='')}/invocations/.well-known/oauth-protected-resource?qualifier=DEFAULT"


def post(url: str, token: str | None = None, **headers: str) -> httpx.Response:
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(url, content=BODY, headers={**MCP_HEADERS, **auth, **headers}, timeout=60.0)


def test_an_mcp_request_without_a_token_gets_the_challenge_and_its_metadata(
    control: Any, sandbox: Sandbox, role: str, key: str
) -> None:
    runtime = jwt_runtime(control, sandbox, role, key, allowedClients=["sandbox-demo"])
    arn = runtime["agentRuntimeArn"]
    answer = post(invocation_url(sandbox.url, arn))
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == f'Bearer resource_metadata="{metadata_url(sandbox.url, arn)}"'
    metadata = httpx.get(metadata_url(sandbox.url, arn)).json()
    assert metadata["resource"] == invocation_url(sandbox.url, arn)
    assert metadata["authorization_servers"] == [f"{sandbox.url}/oidc"]
    assert "scopes_supported" not in metadata
    issuer_metadata = httpx.get(f"{sandbox.url}/.well-known/oauth-authorization-server/oidc").json()
    assert issuer_metadata["issuer"] == metadata["authorization_servers"][0]


def test_a_valid_token_reaches_the_code_with_authorization_when_allow_listed(
    control: Any, sandbox: Sandbox, role: str, key: str
) -> None:
    runtime = jwt_runtime(
        control, sandbox, role, key, allowedClients=["sandbox-demo"], allowlist=["Authorization", CUSTOM]
    )
    token = mint(sandbox.url, "alice")
    answer = post(invocation_url(sandbox.url, runtime["agentRuntimeArn"]), token, **{CUSTOM: "extra"})
    assert answer.status_code == 200, answer.text
    received = {name.lower(): value for name, value in answer.json()["headers"].items()}
    assert received["authorization"] == f"Bearer {token}" and received[CUSTOM.lower()] == "extra"


def test_authorization_is_not_passed_on_unless_allow_listed(
    control: Any, sandbox: Sandbox, role: str, key: str
) -> None:
    runtime = jwt_runtime(control, sandbox, role, key, allowlist=[CUSTOM])
    answer = post(invocation_url(sandbox.url, runtime["agentRuntimeArn"]), mint(sandbox.url, "alice"))
    assert answer.status_code == 200, answer.text
    assert "authorization" not in {name.lower() for name in answer.json()["headers"]}


def foreign_token(sandbox: Sandbox) -> str:
    """Signed by another key under the sandbox issuer's kid."""
    kid = httpx.get(f"{sandbox.url}/oidc/jwks").json()["keys"][0]["kid"]
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {"iss": f"{sandbox.url}/oidc", "sub": "mallory", "aud": "sandbox-demo", "client_id": "sandbox-demo"}
    return jwt.encode({**claims, "iat": now, "exp": now + 600}, other, algorithm="RS256", headers={"kid": kid})


def expired_token(sandbox: Sandbox) -> str:
    answer = httpx.post(f"{sandbox.url}/oidc/token", json={"user": "alice", "expires_in": 1}).json()
    time.sleep(2)
    return str(answer["access_token"])


@pytest.mark.parametrize(
    ("make", "authorizer"),
    [
        pytest.param(lambda sb: mint(sb.url, "alice", client_id="other-client"), {}, id="client-not-allowed"),
        pytest.param(lambda sb: mint(sb.url, "alice"), {"allowedAudience": ["https://mcp.example.test"]}, id="aud"),
        pytest.param(lambda sb: mint(sb.url, "alice"), {"allowedScopes": ["mcp.read"]}, id="scope-missing"),
        pytest.param(foreign_token, {}, id="bad-signature"),
        pytest.param(expired_token, {}, id="expired"),
        pytest.param(lambda sb: "not-a-jwt", {}, id="garbage"),
    ],
)
def test_a_refused_token_gets_401_with_the_challenge(
    control: Any, sandbox: Sandbox, role: str, key: str, make: Any, authorizer: dict[str, Any]
) -> None:
    runtime = jwt_runtime(control, sandbox, role, key, **{"allowedClients": ["sandbox-demo"], **authorizer})
    answer = post(invocation_url(sandbox.url, runtime["agentRuntimeArn"]), make(sandbox))
    assert answer.status_code == 401, answer.text
    challenge = answer.headers["WWW-Authenticate"]
    assert challenge.startswith(f'Bearer resource_metadata="{metadata_url(sandbox.url, runtime["agentRuntimeArn"])}"')
    assert 'error="invalid_token"' in challenge


def test_allowed_scopes_are_advertised_through_their_mapping(
    control: Any, sandbox: Sandbox, role: str, key: str
) -> None:
    runtime = jwt_runtime(
        control, sandbox, role, key, allowedScopes=["mcp.read"], advertisedScopeMapping={"mcp.read": "api://x/read"}
    )
    answer = post(invocation_url(sandbox.url, runtime["agentRuntimeArn"]))
    assert answer.status_code == 401 and 'scope="api://x/read"' in answer.headers["WWW-Authenticate"]
    metadata = httpx.get(metadata_url(sandbox.url, runtime["agentRuntimeArn"])).json()
    assert metadata["scopes_supported"] == ["api://x/read"]


def test_sigv4_to_a_jwt_runtime_is_a_method_mismatch(control: Any, sandbox: Sandbox, role: str, key: str) -> None:
    runtime = jwt_runtime(control, sandbox, role, key)
    answer = signed_post(invocation_url(sandbox.url, runtime["agentRuntimeArn"]), BODY, MCP_HEADERS)
    assert answer.status_code == 403 and answer.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert "Authorization method mismatch" in answer.text and "WWW-Authenticate" not in answer.headers


def test_a_jwt_runtime_of_another_protocol_answers_403_without_a_challenge(
    control: Any, sandbox: Sandbox, role: str, key: str
) -> None:
    runtime = jwt_runtime(control, sandbox, role, key, protocol="HTTP")
    answer = post(invocation_url(sandbox.url, runtime["agentRuntimeArn"]))
    assert answer.status_code == 403 and "WWW-Authenticate" not in answer.headers


def test_a_sigv4_runtime_answers_403_without_a_challenge(control: Any, sandbox: Sandbox, role: str, key: str) -> None:
    runtime = settle(control, create_runtime(control, role, key)["agentRuntimeId"])
    url = invocation_url(sandbox.url, runtime["agentRuntimeArn"])
    for answer in (post(url), post(url, mint(sandbox.url, "alice"))):
        assert answer.status_code == 403 and answer.headers["x-amzn-ErrorType"] == "AccessDeniedException"
        assert "WWW-Authenticate" not in answer.headers
    assert httpx.get(metadata_url(sandbox.url, runtime["agentRuntimeArn"])).status_code == 404


def test_authorization_can_be_allow_listed_only_with_a_jwt_authorizer(
    control: Any, sandbox: Sandbox, role: str, key: str
) -> None:
    runtime = jwt_runtime(control, sandbox, role, key, allowlist=["Authorization"])
    with pytest.raises(ClientError) as caught:  # an update that drops the authorizer but keeps the header
        control.update_agent_runtime(
            agentRuntimeId=runtime["agentRuntimeId"],
            agentRuntimeArtifact=runtime["agentRuntimeArtifact"],
            roleArn=role,
            networkConfiguration={"networkMode": "PUBLIC"},
            requestHeaderConfiguration={"requestHeaderAllowlist": ["Authorization"]},
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "customJWTAuthorizer" in str(caught.value)


def test_the_discovery_url_must_be_a_well_known_url(control: Any, sandbox: Sandbox, role: str, key: str) -> None:
    with pytest.raises(ClientError) as caught:
        create_runtime(
            control,
            role,
            key,
            authorizerConfiguration={"customJWTAuthorizer": {"discoveryUrl": f"{sandbox.url}/oidc"}},
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException" and "discoveryUrl" in str(caught.value)


class _Memory:
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


def test_the_mcp_sdk_oauth_client_finds_its_way_from_the_runtime_url(
    control: Any, sandbox: Sandbox, role: str, key: str
) -> None:
    runtime = jwt_runtime(control, sandbox, role, key, allowlist=["Authorization"])
    url = invocation_url(sandbox.url, runtime["agentRuntimeArn"])
    landed: dict[str, str] = {}

    async def redirect(authorization_url: str) -> None:  # the user's browser, signing in as bob
        page = httpx.get(authorization_url)
        assert page.status_code == 200, page.text
        back = httpx.post(f"{sandbox.url}/oidc/authorize", data={**dict(HIDDEN.findall(page.text)), "user": "bob"})
        landed.update({k: v[0] for k, v in parse_qs(urlsplit(back.headers["location"]).query).items()})

    async def callback() -> AuthorizationCodeResult:
        return AuthorizationCodeResult(code=landed["code"], state=landed["state"], iss=landed.get("iss"))

    storage = _Memory()
    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            redirect_uris=["http://127.0.0.1:4999/callback"],
            grant_types=["authorization_code", "refresh_token"],
            client_name="MCP SDK test client",
        ),
        storage=storage,
        redirect_handler=redirect,
        callback_handler=callback,
    )

    async def call() -> httpx2.Response:
        async with httpx2.AsyncClient(auth=provider, timeout=60.0) as client:
            return await client.post(url, content=BODY, headers=MCP_HEADERS)

    answer = asyncio.run(call())
    assert answer.status_code == 200, answer.text
    bearer = {k.lower(): v for k, v in answer.json()["headers"].items()}["authorization"].removeprefix("Bearer ")
    claims = jwt.decode(bearer, options={"verify_signature": False})
    assert claims["sub"] == "bob" and claims["aud"] == url
    assert storage.client is not None and claims["client_id"] == storage.client.client_id
    assert storage.tokens is not None and storage.tokens.refresh_token
