"""The sandbox fails where AWS fails (DESIGN §6, issue 11): each test here passes against AWS's
documented behaviour and fails against moto's default (or the sandbox before these rules).
Everything goes through plain boto3 and HTTP, as a client of AWS would."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError

from demo.browser import ConsentFailed, approve_on_github
from sandbox import consistency
from sandbox.server import Sandbox
from tests.conftest import ROOT
from tests.sandbox.helpers import call_tool, mint, rpc

ROLE = "arn:aws:iam::123456789012:role/fidelity"
RETURN_URL = "http://localhost:8080/oauth/callback"
PROFILE = "GitHubTarget___getAuthenticatedUser"
MODEL = botocore.session.get_session().get_service_model("bedrock-agentcore-control")
IDENTITY_ARN = re.compile(
    r"arn:aws:bedrock-agentcore:us-east-1:[0-9]{12}:workload-identity-directory/default/workload-identity/"
    r"(?P<name>[A-Za-z0-9_.-]{3,255})"
)
NOT_REGISTERED = "You must register and use at least one ResourceOauth2ReturnUrl on your workload identity"


@pytest.fixture
def control(sandbox: Sandbox) -> Iterator[Any]:
    """Reads see every write (even under SANDBOX_CONSISTENCY=eventual): these rules are checked one
    at a time; the eventual-consistency tests switch it on themselves."""
    sandbox.set_consistency("strong")
    yield boto3.client("bedrock-agentcore-control")
    sandbox.set_consistency(sandbox.consistency)


def error_code(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as error:
        call()
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def create_gateway(control: Any, name: str = "fidelity-gw", **extra: Any) -> dict[str, Any]:
    fields = {"roleArn": ROLE, "protocolType": "MCP", "authorizerType": "AWS_IAM", **extra}
    return dict(control.create_gateway(name=name, **fields))


def ready_gateway(control: Any, name: str = "fidelity-gw", **extra: Any) -> str:
    gateway_id = str(create_gateway(control, name, **extra)["gatewayId"])
    assert control.get_gateway(gatewayIdentifier=gateway_id)["status"] == "READY"
    return gateway_id


def update_gateway(control: Any, gateway_id: str, **fields: Any) -> None:
    """UpdateGateway with its required fields (and protocolType), nothing else unless given."""
    required = {"name": "fidelity-gw", "roleArn": ROLE, "protocolType": "MCP", "authorizerType": "AWS_IAM"}
    control.update_gateway(gatewayIdentifier=gateway_id, **{**required, **fields})


# 1. Each gateway has its own workload identity, in the Identity control plane, gone with the gateway


def test_each_gateway_gets_its_own_workload_identity(control: Any) -> None:
    created = create_gateway(control)
    arn = created["workloadIdentityDetails"]["workloadIdentityArn"]
    match = IDENTITY_ARN.fullmatch(arn)
    assert match, arn
    name = match["name"]
    assert name == created["gatewayId"]  # the gateway id names it (UNCONFIRMED, sandbox.gateway_identity)
    gateway = control.get_gateway(gatewayIdentifier=created["gatewayId"])
    assert gateway["workloadIdentityDetails"]["workloadIdentityArn"] == arn

    identity = control.get_workload_identity(name=name)
    assert identity["workloadIdentityArn"] == arn
    assert identity.get("allowedResourceOauth2ReturnUrls", []) == []
    control.update_workload_identity(name=name, allowedResourceOauth2ReturnUrls=[RETURN_URL])
    assert control.get_workload_identity(name=name)["allowedResourceOauth2ReturnUrls"] == [RETURN_URL]

    other = create_gateway(control, "other-gw")["workloadIdentityDetails"]["workloadIdentityArn"]
    assert other != arn  # its own, not a shared one

    control.delete_gateway(gatewayIdentifier=created["gatewayId"])
    assert error_code(lambda: control.get_workload_identity(name=name))[0] == "ResourceNotFoundException"


# 2. The consent flow needs the return URL on THAT gateway's identity


@pytest.fixture
def oauth_gateway(sandbox: Sandbox, control: Any) -> dict[str, str]:
    """A CUSTOM_JWT gateway whose GitHub target uses AUTHORIZATION_CODE with RETURN_URL, READY."""
    provider = control.create_oauth2_credential_provider(
        name="github",
        credentialProviderVendor="GithubOauth2",
        oauth2ProviderConfigInput={"githubOauth2ProviderConfig": {"clientId": "Iv1.fidelity", "clientSecret": "s3"}},
    )
    jwt = {"discoveryUrl": f"{sandbox.url}/oidc/.well-known/openid-configuration", "allowedClients": ["sandbox-demo"]}
    gateway_id = ready_gateway(
        control,
        protocolConfiguration={"mcp": {"supportedVersions": ["2025-11-25"]}},
        authorizerType="CUSTOM_JWT",
        authorizerConfiguration={"customJWTAuthorizer": jwt},
    )
    oauth = {
        "providerArn": provider["credentialProviderArn"],
        "scopes": ["repo", "user"],
        "grantType": "AUTHORIZATION_CODE",
        "defaultReturnUrl": RETURN_URL,
    }
    target = control.create_gateway_target(
        gatewayIdentifier=gateway_id,
        name="GitHubTarget",
        targetConfiguration={"mcp": {"openApiSchema": {"inlinePayload": (ROOT / "openapi/github.yaml").read_text()}}},
        credentialProviderConfigurations=[
            {"credentialProviderType": "OAUTH", "credentialProvider": {"oauthCredentialProvider": oauth}}
        ],
    )
    control.get_gateway_target(gatewayIdentifier=gateway_id, targetId=target["targetId"])
    gateway = control.get_gateway(gatewayIdentifier=gateway_id)
    name = gateway["workloadIdentityDetails"]["workloadIdentityArn"].rsplit("/", 1)[-1]
    return {"url": gateway["gatewayUrl"], "identity": name, "token": mint(sandbox.url, "alice")}


def test_return_url_only_on_a_standalone_identity_is_refused(control: Any, oauth_gateway: dict[str, str]) -> None:
    control.create_workload_identity(name="callback-identity", allowedResourceOauth2ReturnUrls=[RETURN_URL])
    reply = call_tool(oauth_gateway["url"], PROFILE, token=oauth_gateway["token"])
    assert reply["error"]["code"] != -32042, "no authorization URL may be produced"
    assert "ValidationException" in reply["error"]["message"] and NOT_REGISTERED in reply["error"]["message"]


def test_return_url_on_the_gateways_identity_starts_consent(control: Any, oauth_gateway: dict[str, str]) -> None:
    control.update_workload_identity(name=oauth_gateway["identity"], allowedResourceOauth2ReturnUrls=[RETURN_URL])
    reply = call_tool(oauth_gateway["url"], PROFILE, token=oauth_gateway["token"])
    assert reply["error"]["code"] == -32042
    other = "http://localhost:9999/elsewhere"
    control.update_workload_identity(name=oauth_gateway["identity"], allowedResourceOauth2ReturnUrls=[other])
    refused = call_tool(oauth_gateway["url"], PROFILE, token=oauth_gateway["token"])
    assert NOT_REGISTERED in refused["error"]["message"]


def test_return_url_removed_mid_flow_is_not_redirected_to(control: Any, oauth_gateway: dict[str, str]) -> None:
    control.update_workload_identity(name=oauth_gateway["identity"], allowedResourceOauth2ReturnUrls=[RETURN_URL])
    reply = call_tool(oauth_gateway["url"], PROFILE, token=oauth_gateway["token"])
    link = reply["error"]["data"]["elicitations"][0]["url"]
    control.update_workload_identity(name=oauth_gateway["identity"], allowedResourceOauth2ReturnUrls=[])
    with pytest.raises(ConsentFailed, match=NOT_REGISTERED):
        approve_on_github(link, login="alice")


# 3. The authorizer type is immutable


def test_authorizer_type_cannot_be_updated(control: Any, sandbox: Sandbox) -> None:
    gateway_id = ready_gateway(control)
    jwt = {"customJWTAuthorizer": {"discoveryUrl": f"{sandbox.url}/oidc/.well-known/openid-configuration"}}
    code, message = error_code(
        lambda: update_gateway(control, gateway_id, authorizerType="CUSTOM_JWT", authorizerConfiguration=jwt)
    )
    assert (code, message) == ("ValidationException", "Authorizer type cannot be updated for an existing gateway")
    assert control.get_gateway(gatewayIdentifier=gateway_id)["authorizerType"] == "AWS_IAM"


# 4. Updates replace the whole document


def test_update_gateway_resets_omitted_optional_fields(control: Any) -> None:
    gateway_id = ready_gateway(
        control,
        description="adopted",
        kmsKeyArn="arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        exceptionLevel="DEBUG",
        protocolConfiguration={"mcp": {"supportedVersions": ["2025-11-25"], "instructions": "be nice"}},
    )
    update_gateway(control, gateway_id, protocolConfiguration={"mcp": {"supportedVersions": ["2025-11-25"]}})
    gateway = control.get_gateway(gatewayIdentifier=gateway_id)
    assert "kmsKeyArn" not in gateway and "exceptionLevel" not in gateway
    assert not gateway.get("description")
    assert gateway["protocolConfiguration"] == {"mcp": {"supportedVersions": ["2025-11-25"]}}


def test_update_gateway_target_resets_omitted_optional_fields(control: Any) -> None:
    gateway_id = ready_gateway(control)
    configuration = {"mcp": {"openApiSchema": {"inlinePayload": "{}"}}}
    oauth = {"providerArn": "arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/x", "scopes": []}
    target = control.create_gateway_target(
        gatewayIdentifier=gateway_id,
        name="t1",
        description="adopted target",
        targetConfiguration=configuration,
        credentialProviderConfigurations=[
            {"credentialProviderType": "OAUTH", "credentialProvider": {"oauthCredentialProvider": oauth}}
        ],
    )
    ids = {"gatewayIdentifier": gateway_id, "targetId": target["targetId"]}
    control.get_gateway_target(**ids)
    control.update_gateway_target(**ids, name="t1", targetConfiguration=configuration)
    updated = control.get_gateway_target(**ids)
    assert not updated.get("description") and not updated.get("credentialProviderConfigurations")
    assert updated["name"] == "t1"


# 5. Gateway ids in AWS's form


def test_gateway_ids_are_the_lowercased_name_and_ten_characters(control: Any) -> None:
    created = create_gateway(control, "Fidelity-Gw2", authorizerType="NONE")
    gateway_id = created["gatewayId"]
    assert re.fullmatch(r"fidelity-gw2-[0-9a-z]{10}", gateway_id), gateway_id
    assert re.fullmatch(MODEL.shape_for("GatewayId").metadata["pattern"], gateway_id)
    assert re.fullmatch(MODEL.shape_for("GatewayArn").metadata["pattern"], created["gatewayArn"])
    assert created["gatewayArn"].endswith(f":gateway/{gateway_id}")
    assert gateway_id in created["gatewayUrl"]
    assert rpc(created["gatewayUrl"], "ping").json()["result"] == {}  # the id still routes to its MCP endpoint


# 6. Eventual consistency, when switched on


@pytest.fixture
def eventual(sandbox: Sandbox, control: Any) -> Any:
    sandbox.set_consistency("eventual")
    return control


def test_eventual_get_after_create_is_not_found_once(eventual: Any) -> None:
    control = eventual
    gateway_id = create_gateway(control)["gatewayId"]
    assert error_code(lambda: control.get_gateway(gatewayIdentifier=gateway_id))[0] == "ResourceNotFoundException"
    assert control.get_gateway(gatewayIdentifier=gateway_id)["status"] == "READY"
    target = control.create_gateway_target(
        gatewayIdentifier=gateway_id, name="t1", targetConfiguration={"mcp": {"openApiSchema": {"inlinePayload": "{}"}}}
    )
    ids = {"gatewayIdentifier": gateway_id, "targetId": target["targetId"]}
    assert error_code(lambda: control.get_gateway_target(**ids))[0] == "ResourceNotFoundException"
    assert control.get_gateway_target(**ids)["status"] == "READY"


def test_eventual_get_after_update_is_stale_once(eventual: Any) -> None:
    control = eventual
    gateway_id = create_gateway(control, description="before")["gatewayId"]
    with pytest.raises(ClientError):
        control.get_gateway(gatewayIdentifier=gateway_id)
    control.get_gateway(gatewayIdentifier=gateway_id)
    update_gateway(control, gateway_id, description="after")
    stale = control.get_gateway(gatewayIdentifier=gateway_id)
    assert (stale["status"], stale["description"]) == ("READY", "before")
    fresh = control.get_gateway(gatewayIdentifier=gateway_id)
    assert (fresh["status"], fresh["description"]) == ("READY", "after")


def test_consistency_is_strong_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(consistency.ENV, raising=False)
    assert consistency.mode_from_env() == "strong"
    monkeypatch.setenv(consistency.ENV, "eventual")
    assert consistency.mode_from_env() == "eventual"
    monkeypatch.setenv(consistency.ENV, "sometimes")
    with pytest.raises(ValueError, match="SANDBOX_CONSISTENCY"):
        consistency.mode_from_env()


# 7. OAuth2 credential providers pass through DELETING


def test_provider_is_deleting_then_gone_and_its_name_busy_meanwhile(control: Any) -> None:
    config = {"githubOauth2ProviderConfig": {"clientId": "Iv1.a", "clientSecret": "s"}}
    first = control.create_oauth2_credential_provider(
        name="github", credentialProviderVendor="GithubOauth2", oauth2ProviderConfigInput=config
    )
    control.delete_oauth2_credential_provider(name="github")

    def recreate() -> Any:
        return control.create_oauth2_credential_provider(
            name="github", credentialProviderVendor="GithubOauth2", oauth2ProviderConfigInput=config
        )

    assert error_code(recreate)[0] == "ConflictException"
    assert control.get_oauth2_credential_provider(name="github")["status"] == "DELETING"
    assert error_code(lambda: control.get_oauth2_credential_provider(name="github"))[0] == "ResourceNotFoundException"
    assert recreate()["callbackUrl"] != first["callbackUrl"]
