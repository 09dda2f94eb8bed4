"""The gateway's OAuth flow in the sandbox, driven by hand over HTTP: -32042 → consent →
CompleteResourceTokenAuth → tools/call, with the session bound to the user who started it."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import httpx
import pytest
import yaml
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError

from reconciler.spec.openapi_check import operation_ids
from sandbox.server import Sandbox
from tests.sandbox.helpers import PROTOCOL, apply_stack_with_return_urls, call_tool, consent, mint, rpc

PROFILE = "GitHubTarget___getAuthenticatedUser"
REPOS = "GitHubTarget___listUserRepositories"


def elicitation_url(reply: dict) -> str:
    assert reply["error"]["code"] == -32042, reply
    assert reply["error"]["message"] == "This request requires more information."
    (elicitation,) = reply["error"]["data"]["elicitations"]
    assert elicitation["mode"] == "url" and elicitation["elicitationId"]
    return str(elicitation["url"])


def complete(session_id: str, token: str) -> None:
    boto3.client("bedrock-agentcore").complete_resource_token_auth(
        sessionUri=session_id, userIdentifier={"userToken": token}
    )


def test_tools_are_listed_from_the_openapi_target(sandbox: Sandbox, workdir: Path) -> None:
    config = apply_stack_with_return_urls()
    reply = rpc(config["gateway"]["url"], "tools/list", token=mint(sandbox.url, "alice")).json()
    tools = {t["name"]: t for t in reply["result"]["tools"]}
    operations = operation_ids(yaml.safe_load((workdir / "openapi" / "github.yaml").read_text()))
    assert set(tools) == {f"GitHubTarget___{op}" for op in operations} | {"x_amz_bedrock_agentcore_search"}
    schema = tools[REPOS]["inputSchema"]
    assert schema["properties"]["per_page"]["maximum"] == 100
    assert schema["properties"]["sort"]["enum"] == ["created", "updated", "pushed", "full_name"]


def test_consent_then_call_returns_the_users_own_data(sandbox: Sandbox, workdir: Path) -> None:
    url = apply_stack_with_return_urls()["gateway"]["url"]
    alice = mint(sandbox.url, "alice")
    session_id = consent(elicitation_url(call_tool(url, PROFILE, token=alice)), login="alice")
    assert session_id.startswith("urn:ietf:params:oauth:request_uri:")
    complete(session_id, alice)
    profile = call_tool(url, PROFILE, token=alice)["result"]
    assert profile["isError"] is False
    assert json.loads(profile["content"][0]["text"])["login"] == "alice"
    page = call_tool(url, REPOS, {"per_page": 10, "page": 4, "sort": "full_name"}, token=alice)["result"]
    repos = json.loads(page["content"][0]["text"])
    assert [r["name"] for r in repos] == [f"alice-project-{i}" for i in range(31, 36)]
    fresh = mint(sandbox.url, "alice")  # a new token for the same user reuses the vaulted GitHub token
    assert call_tool(url, PROFILE, token=fresh)["result"]["isError"] is False


def test_session_binds_only_for_its_initiator_and_only_once(sandbox: Sandbox, workdir: Path) -> None:
    url = apply_stack_with_return_urls()["gateway"]["url"]
    alice, mallory = mint(sandbox.url, "alice"), mint(sandbox.url, "bob")
    link = elicitation_url(call_tool(url, PROFILE, token=alice))
    session_id = consent(link, login="bob")  # alice forwarded her link; bob consents with his GitHub
    with pytest.raises(ClientError) as denied:
        complete(session_id, mallory)
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "Invalid or expired session" in str(denied.value)
    with pytest.raises(ClientError):
        complete(session_id, mint(sandbox.url, "alice"))  # a fresh token for alice is not the initiating artifact
    assert "error" in call_tool(url, PROFILE, token=mallory)  # bob still has no token
    complete(session_id, alice)
    with pytest.raises(ClientError):
        complete(session_id, alice)  # single use


def test_two_users_get_their_own_tokens(sandbox: Sandbox, workdir: Path) -> None:
    url = apply_stack_with_return_urls()["gateway"]["url"]
    for user in ("alice", "bob"):
        token = mint(sandbox.url, user)
        complete(consent(elicitation_url(call_tool(url, PROFILE, token=token)), login=user), token)
    for user in ("alice", "bob"):
        profile = call_tool(url, PROFILE, token=mint(sandbox.url, user))["result"]
        assert json.loads(profile["content"][0]["text"])["login"] == user


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        pytest.param({}, "missing bearer token", id="no-token"),
        pytest.param({"Authorization": "Bearer not.a.jwt"}, "invalid token", id="garbage"),
    ],
)
def test_gateway_rejects_bad_credentials(sandbox: Sandbox, workdir: Path, headers: dict, reason: str) -> None:
    url = apply_stack_with_return_urls()["gateway"]["url"]
    response = httpx.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers={**PROTOCOL, **headers}
    )
    assert response.status_code == 401 and reason in response.json()["error"]["message"]


def test_gateway_rejects_tokens_for_other_clients(sandbox: Sandbox, workdir: Path) -> None:
    url = apply_stack_with_return_urls()["gateway"]["url"]
    response = rpc(url, "tools/list", token=mint(sandbox.url, "alice", client_id="someone-else"))
    assert response.status_code == 401 and "client is not allowed" in response.text


def test_gateway_requires_the_allowed_scopes(sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The gateway's customJWTAuthorizer checks allowedScopes as the Runtime's does (one botocore shape): what
    the OAuth door relies on, since self-registered clients cannot be listed in allowedClients."""
    monkeypatch.setenv("OIDC_SCOPES", "github-mcp/tools")
    monkeypatch.delenv("OIDC_CLIENT_ID")
    url = apply_stack_with_return_urls()["gateway"]["url"]
    token = httpx.post(f"{sandbox.url}/oidc/token", json={"user": "alice", "client_id": "anyone"}).json()
    refused = rpc(url, "tools/list", token=token["access_token"])
    assert refused.status_code == 401 and "lacks the scopes github-mcp/tools" in refused.text
    scoped = httpx.post(
        f"{sandbox.url}/oidc/token", json={"user": "alice", "client_id": "anyone", "scope": "github-mcp/tools"}
    ).json()
    assert rpc(url, "tools/list", token=scoped["access_token"]).status_code == 200


def test_gateway_checks_protocol_version_and_json(sandbox: Sandbox, workdir: Path) -> None:
    url = apply_stack_with_return_urls()["gateway"]["url"]
    alice = mint(sandbox.url, "alice")
    old = rpc(url, "tools/list", token=alice, headers={"MCP-Protocol-Version": "2024-11-05"})
    assert old.status_code == 400 and "Unsupported MCP-Protocol-Version" in old.text
    garbage = httpx.post(url, content=b"{nope", headers={"Authorization": f"Bearer {alice}"})
    assert garbage.json()["error"]["code"] == -32700
    unknown = call_tool(url, "GitHubTarget___nope", token=alice)
    assert unknown["error"]["code"] == -32602


def test_aws_iam_gateway_verifies_sigv4(sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_AUTHORIZER", "AWS_IAM")
    monkeypatch.delenv("OIDC_DISCOVERY_URL")
    monkeypatch.delenv("OIDC_CLIENT_ID")
    url = apply_stack_with_return_urls()["gateway"]["url"]
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": PROFILE, "arguments": {}}})
    unsigned = httpx.post(url, content=body, headers=PROTOCOL)
    assert unsigned.status_code == 401
    request = AWSRequest(method="POST", url=url, data=body, headers={**PROTOCOL, "Content-Type": "application/json"})
    SigV4Auth(boto3.Session().get_credentials(), "bedrock-agentcore", "us-east-1").add_auth(request)
    signed = httpx.post(url, content=body, headers=dict(request.headers))
    assert signed.status_code == 200 and signed.json()["error"]["code"] == -32042
    tampered = httpx.post(url, content=body.replace("1", "2"), headers=dict(request.headers))
    assert tampered.status_code == 401 and "does not match" in tampered.text
