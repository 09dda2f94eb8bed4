"""What would break on real AWS first: the gateway's own return URLs, immutable fields, slow deletes."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.server import Sandbox
from tests.conftest import edit_stack, reconcile
from tests.lifecycle.helpers import control, gateway_id
from tests.lifecycle.test_lifecycle import actions, apply_ok, plan_json
from tests.sandbox.helpers import call_tool, gateway_identity_name, mint

PROFILE = "GitHubTarget___getAuthenticatedUser"
CALLBACK = "http://localhost:8080/oauth/callback"


@pytest.mark.eventual
def test_return_url_drift_breaks_consent_and_apply_restores_it(sandbox: Sandbox, workdir: Path) -> None:
    apply_ok()
    url = control().get_gateway(gatewayIdentifier=gateway_id())["gatewayUrl"]
    alice = mint(sandbox.url, "alice")
    assert call_tool(url, PROFILE, token=alice)["error"]["code"] == -32042
    identity = gateway_identity_name(gateway_id())
    control().update_workload_identity(name=identity, allowedResourceOauth2ReturnUrls=[])  # behind the tool's back
    refused = call_tool(url, PROFILE, token=alice)["error"]
    assert (
        "You must register and use at least one ResourceOauth2ReturnUrl on your workload identity" in refused["message"]
    )
    plan = {rc["address"]: rc for rc in plan_json()["resource_changes"]}
    assert plan["gateway.gateway"]["action"] == "update"
    assert plan["gateway.gateway"]["change"]["changed_paths"] == [["allowed_return_urls", 0]]
    assert f'+       "{CALLBACK}"' in reconcile("plan").output
    apply_ok()
    assert control().get_workload_identity(name=identity)["allowedResourceOauth2ReturnUrls"] == [CALLBACK]
    assert call_tool(url, PROFILE, token=alice)["error"]["code"] == -32042
    assert set(actions().values()) == {"no-op"}


@pytest.mark.eventual
def test_switching_the_authorizer_replaces_the_gateway(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_ok()
    old = gateway_id()
    monkeypatch.setenv("GATEWAY_AUTHORIZER", "AWS_IAM")
    monkeypatch.setenv("SINGLE_USER", "true")
    monkeypatch.delenv("OIDC_DISCOVERY_URL")
    monkeypatch.delenv("OIDC_CLIENT_ID")
    plan = {rc["address"]: rc for rc in plan_json()["resource_changes"]}
    assert plan["gateway.gateway"]["action"] == "replace"
    assert plan["gateway.gateway"]["change"]["replace_paths"] == [["authorizer", "type"]]
    assert "(authorizer.type cannot be changed in place)" in reconcile("plan").output
    apply_ok()
    found = control().get_gateway(gatewayIdentifier=gateway_id())
    assert gateway_id() != old and found["authorizerType"] == "AWS_IAM"
    assert control().get_workload_identity(name=gateway_identity_name(gateway_id()))[
        "allowedResourceOauth2ReturnUrls"
    ] == [CALLBACK]  # the new gateway's identity got the return URL too
    assert set(actions().values()) == {"no-op"}


@pytest.mark.eventual
def test_changing_the_vendor_replaces_the_provider_after_its_delete_finished(sandbox: Sandbox, workdir: Path) -> None:
    apply_ok()
    old = control().get_oauth2_credential_provider(name="github-mcp-github")["callbackUrl"]
    edit_stack(workdir, "vendor: GithubOauth2", "vendor: GoogleOauth2")
    assert actions()["oauth2_provider.github"] == "replace"
    output = apply_ok()
    assert "oauth2 provider github-mcp-github: DELETING" in output  # waited through DELETING before creating again
    found = control().get_oauth2_credential_provider(name="github-mcp-github")
    assert found["credentialProviderVendor"] == "GoogleOauth2" and found["callbackUrl"] != old  # a new provider
    assert "NEW callback URL for OAuth provider github-mcp-github" in output
