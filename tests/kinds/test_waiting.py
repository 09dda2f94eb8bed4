"""Waiting and failure paths that the sandbox does not produce, driven by botocore's Stubber."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from reconciler.applying import describe_error
from reconciler.aws import Clients
from reconciler.kinds.base import Context
from reconciler.kinds.gateway import Gateway
from reconciler.kinds.gateway_target import GatewayTarget
from reconciler.kinds.oauth2_provider import Oauth2Provider
from reconciler.kinds.waiting import ResourceFailed
from reconciler.live import Live
from reconciler.plan import Action, ResourceChange

GATEWAY_ID = "gw0123456789"
ROLE = "arn:aws:iam::123456789012:role/reconcile/s/gw-role"
PROVIDER = "arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/oauth2credentialprovider/p"
GATEWAY_SPEC: dict[str, Any] = {
    "description": "",
    "role_arn": ROLE,
    "exception_level": None,
    "protocol": {"supported_versions": ["2025-11-25"], "search_type": "SEMANTIC", "instructions": None},
    "authorizer": {
        "type": "AWS_IAM",
        "discovery_url": None,
        "allowed_audience": [],
        "allowed_clients": [],
        "allowed_scopes": [],
    },
}
TARGET_SPEC: dict[str, Any] = {
    "gateway": GATEWAY_ID,
    "description": "",
    "openapi_document": {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {}},
    "oauth": {
        "provider_arn": PROVIDER,
        "scopes": ["repo"],
        "grant_type": "AUTHORIZATION_CODE",
        "default_return_url": "http://localhost:8080/oauth/callback",
        "custom_parameters": {},
    },
}


@pytest.fixture
def stubbed() -> Iterator[tuple[Context, Stubber, list[str]]]:
    control = boto3.client(
        "bedrock-agentcore-control", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    messages: list[str] = []
    ctx = Context(
        clients=Clients(iam=None, control=control, region="us-east-1"),
        stack="s",
        progress=messages.append,
        poll_initial=0.0,
        poll_max=0.0,
        propagation_timeout=5,
    )
    with Stubber(control) as stubber:
        yield ctx, stubber, messages
        stubber.assert_no_pending_responses()


def gateway(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "gatewayArn": f"arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/{GATEWAY_ID}",
        "gatewayId": GATEWAY_ID,
        "gatewayUrl": "https://x/mcp",
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-01-01T00:00:00Z",
        "status": status,
        "name": "s-gateway",
        "roleArn": ROLE,
        "protocolType": "MCP",
        "authorizerType": "AWS_IAM",
        **extra,
    }


def target(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "gatewayArn": f"arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/{GATEWAY_ID}",
        "targetId": "T1",
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-01-01T00:00:00Z",
        "status": status,
        "name": "GitHubTarget",
        "targetConfiguration": {"mcp": {"openApiSchema": {"inlinePayload": "{}"}}},
        "credentialProviderConfigurations": [
            {
                "credentialProviderType": "OAUTH",
                "credentialProvider": {
                    "oauthCredentialProvider": {
                        "providerArn": PROVIDER,
                        "scopes": ["repo"],
                        "grantType": "AUTHORIZATION_CODE",
                    }
                },
            }
        ],
        **extra,
    }


def test_failed_gateway_names_state_and_reasons(stubbed: tuple[Context, Stubber, list[str]]) -> None:
    ctx, stubber, messages = stubbed
    stubber.add_response("create_gateway", gateway("CREATING"))
    stubber.add_response("get_gateway", gateway("CREATING"), {"gatewayIdentifier": GATEWAY_ID})
    stubber.add_response(
        "get_gateway", gateway("FAILED", statusReasons=["KMS key is disabled"]), {"gatewayIdentifier": GATEWAY_ID}
    )
    with pytest.raises(ResourceFailed) as failure:
        Gateway().create(ctx, "s-gateway", GATEWAY_SPEC)
    assert str(failure.value) == "gateway s-gateway reached status FAILED: KMS key is disabled"
    assert "gateway s-gateway: CREATING [0s elapsed]" in messages


def test_a_long_wait_says_it_is_still_waiting(stubbed: tuple[Context, Stubber, list[str]]) -> None:
    ctx, stubber, messages = stubbed
    ctx.heartbeat = 0.0  # a line on every unchanged poll instead of every 10 s
    stubber.add_response("create_gateway", gateway("CREATING"))
    for status in ("CREATING", "CREATING", "CREATING", "READY"):
        stubber.add_response("get_gateway", gateway(status), {"gatewayIdentifier": GATEWAY_ID})
    stubber.add_response("list_tags_for_resource", {"tags": {}}, {"resourceArn": gateway("READY")["gatewayArn"]})
    Gateway().create(ctx, "s-gateway", GATEWAY_SPEC)
    assert messages == [
        "gateway s-gateway: CREATING [0s elapsed]",
        "gateway s-gateway: still creating… [0s elapsed]",
        "gateway s-gateway: still creating… [0s elapsed]",
        "gateway s-gateway: READY [0s elapsed]",
    ]


def test_new_role_not_yet_assumable_is_retried(stubbed: tuple[Context, Stubber, list[str]]) -> None:
    ctx, stubber, messages = stubbed
    for _ in range(2):
        stubber.add_client_error(
            "create_gateway", "ValidationException", "Role validation failed: role is not assumable"
        )
    stubber.add_response("create_gateway", gateway("CREATING"))
    stubber.add_response("get_gateway", gateway("READY"), {"gatewayIdentifier": GATEWAY_ID})
    stubber.add_response("list_tags_for_resource", {"tags": {"reconcile:stack": "s"}})
    live = Gateway().create(ctx, "s-gateway", GATEWAY_SPEC)
    assert live.owned and live.outputs["id"] == GATEWAY_ID
    assert sum("waiting for IAM to propagate" in m for m in messages) == 2


def test_other_validation_errors_are_not_retried(stubbed: tuple[Context, Stubber, list[str]]) -> None:
    ctx, stubber, _ = stubbed
    stubber.add_client_error("create_gateway", "ValidationException", "instructions too long")
    with pytest.raises(Exception) as failure:
        Gateway().create(ctx, "s-gateway", GATEWAY_SPEC)
    change = ResourceChange(
        address="gateway", kind="gateway", name="s-gateway", action=Action.CREATE, before=None, after={}
    )
    assert describe_error(change, failure.value) == (
        "gateway 's-gateway' (gateway): CreateGateway failed with ValidationException: instructions too long"
    )


def test_target_pending_auth_is_a_successful_create(stubbed: tuple[Context, Stubber, list[str]]) -> None:
    ctx, stubber, messages = stubbed
    url = "https://bedrock-agentcore.us-east-1.amazonaws.com/identities/oauth2/authorize?request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc"
    stubber.add_response("create_gateway_target", target("CREATING"))
    stubber.add_response(
        "get_gateway_target",
        target("CREATE_PENDING_AUTH", authorizationData={"oauth2": {"authorizationUrl": url, "userId": "u"}}),
        {"gatewayIdentifier": GATEWAY_ID, "targetId": "T1"},
    )
    live = GatewayTarget().create(ctx, "GitHubTarget", TARGET_SPEC)
    assert live.status == "CREATE_PENDING_AUTH"
    assert live.notes == (f"authorize at {url}",)
    refusal = "AWS refuses to change or delete it until it is authorized; open https://.* and approve, then re-run"
    with pytest.raises(ResourceFailed, match=refusal):
        GatewayTarget().update(ctx, live, TARGET_SPEC)
    with pytest.raises(ResourceFailed, match=refusal):
        GatewayTarget().delete(ctx, live)


def test_wait_gives_up_after_the_timeout(stubbed: tuple[Context, Stubber, list[str]]) -> None:
    ctx, stubber, _ = stubbed
    ctx.wait_timeout = 0.0
    stubber.add_response("create_gateway", gateway("CREATING"))
    stubber.add_response("get_gateway", gateway("CREATING"), {"gatewayIdentifier": GATEWAY_ID})
    with pytest.raises(ResourceFailed, match="still CREATING after 0s; re-run apply to keep waiting"):
        Gateway().create(ctx, "s-gateway", GATEWAY_SPEC)


def test_read_errors_name_the_resource_and_operation(workdir: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import STACK_ENV, reconcile

    for key, value in STACK_ENV.items():
        monkeypatch.setenv(key, value)
    control = boto3.client(
        "bedrock-agentcore-control", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    iam = boto3.client("iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    monkeypatch.setattr(
        "reconciler.engine.make_clients", lambda **_: Clients(iam=iam, control=control, region="us-east-1")
    )
    with Stubber(control) as stubber:
        stubber.add_client_error(
            "get_oauth2_credential_provider",
            "AccessDeniedException",
            "not authorized to perform GetOauth2CredentialProvider",
        )
        result = reconcile("plan")
    assert result.exit_code == 1
    said = "\n".join(line for line in result.output.splitlines() if not line.startswith("packaging: "))
    assert said.strip() == (
        "Reading live state of stack 'github-mcp' in us-east-1...\n"
        "Error: reading oauth2_provider 'github-mcp-github' (github): GetOauth2CredentialProvider failed with "
        "AccessDeniedException: not authorized to perform GetOauth2CredentialProvider"
    )


def test_update_waits_for_two_ready_reads_in_a_row(stubbed: tuple[Context, Stubber, list[str]]) -> None:
    """A Get right after UpdateGateway may still show the READY from before it (eventual consistency)."""
    ctx, stubber, _ = stubbed
    stubber.add_response("update_gateway", gateway("UPDATING"))
    for status in ("READY", "UPDATING", "READY", "READY"):
        stubber.add_response("get_gateway", gateway(status), {"gatewayIdentifier": GATEWAY_ID})
    stubber.add_response("list_tags_for_resource", {"tags": {}})
    live = Gateway().read_back(gateway("READY"), {}, "s", return_urls=[])
    Gateway().update(ctx, live, GATEWAY_SPEC)  # the Stubber fails the test unless all four reads happened


def test_not_found_right_after_create_is_tolerated(stubbed: tuple[Context, Stubber, list[str]]) -> None:
    ctx, stubber, messages = stubbed
    stubber.add_response("create_gateway", gateway("CREATING"))
    for _ in range(2):
        stubber.add_client_error("get_gateway", "ResourceNotFoundException", "no such gateway")
    stubber.add_response("get_gateway", gateway("READY"), {"gatewayIdentifier": GATEWAY_ID})
    stubber.add_response("list_tags_for_resource", {"tags": {}})
    assert Gateway().create(ctx, "s-gateway", GATEWAY_SPEC).status == "READY"
    assert messages[0] == "gateway s-gateway: NOT_FOUND_YET [0s elapsed]"


def test_failed_delete_stops_at_the_failure_status(stubbed: tuple[Context, Stubber, list[str]]) -> None:
    ctx, stubber, _ = stubbed
    stubber.add_response("list_gateway_targets", {"items": []})
    stubber.add_response("delete_gateway", {"gatewayId": GATEWAY_ID, "status": "DELETING"})
    stubber.add_response("get_gateway", gateway("DELETING"), {"gatewayIdentifier": GATEWAY_ID})
    stubber.add_response("get_gateway", gateway("FAILED", statusReasons=["in use"]), {"gatewayIdentifier": GATEWAY_ID})
    live = Gateway().read_back(gateway("READY"), {}, "s", return_urls=[])
    with pytest.raises(ResourceFailed, match="gateway s-gateway reached status FAILED: in use"):
        Gateway().delete(ctx, live)


def test_provider_delete_waits_until_it_is_gone(stubbed: tuple[Context, Stubber, list[str]]) -> None:
    ctx, stubber, messages = stubbed
    provider = {
        "name": "p",
        "credentialProviderArn": PROVIDER,
        "credentialProviderVendor": "GithubOauth2",
        "callbackUrl": "https://x/callback",
        "clientSecretArn": {"secretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:s"},
        "oauth2ProviderConfigOutput": {
            "githubOauth2ProviderConfig": {
                "clientId": "c",
                "oauthDiscovery": {"discoveryUrl": "https://issuer.example.com/.well-known/openid-configuration"},
            }
        },
        "createdTime": "2026-01-01T00:00:00Z",
        "lastUpdatedTime": "2026-01-01T00:00:00Z",
        "status": "DELETING",
    }
    stubber.add_response("delete_oauth2_credential_provider", {})
    stubber.add_response("get_oauth2_credential_provider", provider, {"name": "p"})
    stubber.add_client_error("get_oauth2_credential_provider", "ResourceNotFoundException", "gone")
    Oauth2Provider().delete(ctx, Live("p", True, {}, {"arn": PROVIDER}))
    assert messages == ["oauth2 provider p: DELETING [0s elapsed]", "oauth2 provider p: DELETED [0s elapsed]"]
