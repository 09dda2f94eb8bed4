"""plan --refresh-only: changes made outside reconcile since the last apply, for a nightly job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.server import Sandbox
from tests.conftest import edit_stack, reconcile
from tests.lifecycle.helpers import control, gateway_id, iam, settled
from tests.lifecycle.test_lifecycle import apply_ok


def drift() -> tuple[int, str]:
    result = reconcile("plan", "--refresh-only", "--detailed-exitcode")
    return result.exit_code, result.output


@pytest.mark.eventual
def test_no_drift_after_apply_and_a_file_change_is_not_drift(sandbox: Sandbox, workdir: Path) -> None:
    apply_ok()
    assert drift() == (0, drift()[1]) and "Drift: 0 resource(s)" in drift()[1]
    edit_stack(workdir, "description: MCP gateway to the GitHub REST API, per-user OAuth", "description: asked for")
    assert drift()[0] == 0  # the stack file asks for it: a plan shows it, drift does not
    assert reconcile("plan", "--detailed-exitcode").exit_code == 2


@pytest.mark.eventual
def test_console_edit_is_drift_and_apply_puts_it_back(sandbox: Sandbox, workdir: Path) -> None:
    apply_ok()
    found = settled(gateway_id())
    control().update_gateway(
        gatewayIdentifier=gateway_id(),
        **{k: found[k] for k in ("name", "roleArn", "protocolType", "protocolConfiguration", "authorizerType")},
        authorizerConfiguration=found["authorizerConfiguration"],
        description="edited in the console",
    )
    settled(gateway_id())
    code, output = drift()
    assert code == 2
    assert "~ gateway.gateway [github-mcp-gateway] will be updated in place (changed outside reconcile" in output
    assert '"edited in the console" -> "MCP gateway to the GitHub REST API, per-user OAuth"' in output
    edit_stack(workdir, "description: GitHub MCP server", "description: a change the file asks for")
    planned = reconcile("plan").output  # a normal plan sets the drift apart from what the file asks for
    outside, _, rest = planned.partition("The plan below puts them back")
    assert "Changed outside reconcile since the last apply:" in outside
    assert "gateway.gateway [github-mcp-gateway]: changed outside reconcile" in outside
    assert "agent_runtime" not in outside and "agent_runtime.server" in rest
    comment = reconcile("plan", "--format", "markdown").output  # the pull request's comment sets it apart too
    note, _, changes = comment.partition("<details>")
    assert "> **Changed outside reconcile since the last apply** (the plan puts them back):" in note
    assert "> - `gateway.gateway` [github-mcp-gateway]: changed outside reconcile since the last apply" in note
    assert "agent_runtime" not in note and "agent_runtime.server" in changes
    apply_ok()
    assert drift()[0] == 0


def test_deleted_target_and_extra_policy_are_drift(sandbox: Sandbox, workdir: Path) -> None:
    apply_ok()
    target = control().list_gateway_targets(gatewayIdentifier=gateway_id())["items"][0]["targetId"]
    control().delete_gateway_target(gatewayIdentifier=gateway_id(), targetId=target)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    iam().put_role_policy(RoleName="github-mcp-runtime-role", PolicyName="extra", PolicyDocument=json.dumps(policy))
    code, output = drift()
    assert code == 2
    assert "gateway_target.github_target [GitHubTarget] will be created" in output  # apply would recreate it
    assert "iam_role.runtime_role [github-mcp-runtime-role] will be updated in place (changed outside" in output
    assert "Drift: 2 resource(s)" in output


def test_retagged_resource_is_drift(sandbox: Sandbox, workdir: Path) -> None:
    apply_ok()
    arn = control().get_oauth2_credential_provider(name="github-mcp-github")["credentialProviderArn"]
    control().tag_resource(resourceArn=arn, tags={"reconcile:stack": "someone-else"})
    result = reconcile("plan", "--refresh-only", "--detailed-exitcode")
    assert "its ownership tag changed to 'someone-else' outside reconcile" in result.output
