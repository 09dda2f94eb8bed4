"""IAM is global and roles drift in ways the inline policy does not show."""

from __future__ import annotations

import json
from pathlib import Path

from sandbox.server import Sandbox
from tests.conftest import reconcile
from tests.lifecycle.helpers import iam, inventory
from tests.lifecycle.test_lifecycle import actions, apply_ok, plan_json

TRUST = json.dumps({"Version": "2012-10-17", "Statement": []})


def test_extra_policies_on_an_owned_role_are_drift_and_removed(sandbox: Sandbox, workdir: Path) -> None:
    apply_ok()
    sneaky = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    iam().put_role_policy(RoleName="github-mcp-gateway-role", PolicyName="sneaky", PolicyDocument=json.dumps(sneaky))
    managed = iam().create_policy(PolicyName="also-sneaky", PolicyDocument=json.dumps(sneaky))["Policy"]["Arn"]
    iam().attach_role_policy(RoleName="github-mcp-gateway-role", PolicyArn=managed)
    plan = {rc["address"]: rc for rc in plan_json()["resource_changes"]}
    role = plan["iam_role.gateway_role"]
    assert role["action"] == "update"
    assert role["change"]["changed_paths"] == [["managed_policy_arns", 0], ["other_inline_policies", 0]]
    text = reconcile("plan").output  # each list shown with the removed item; the rest of the role unchanged
    assert '-       "sneaky"' in text and f'-       "{managed}"' in text
    apply_ok()
    assert iam().list_role_policies(RoleName="github-mcp-gateway-role")["PolicyNames"] == ["reconcile"]
    assert iam().list_attached_role_policies(RoleName="github-mcp-gateway-role")["AttachedPolicies"] == []
    assert set(actions().values()) == {"no-op"}


def test_a_role_of_the_same_stack_in_another_region_is_not_ours(sandbox: Sandbox, workdir: Path) -> None:
    iam().create_role(
        RoleName="github-mcp-runtime-role",
        Path="/reconcile/github-mcp/",
        AssumeRolePolicyDocument=TRUST,
        Tags=[{"Key": "reconcile:stack", "Value": "github-mcp"}, {"Key": "reconcile:region", "Value": "eu-west-1"}],
    )
    result = reconcile("plan")
    assert result.exit_code == 1
    assert "belongs to stack 'github-mcp' in region eu-west-1, not to this run's region" in result.output
    assert "Run in that region (AWS_REGION=eu-west-1" in result.output
    assert "reconcile adopt" not in result.output  # adopting would take the role from the stack over there
    destroyed = reconcile("destroy", "--auto-approve")
    assert destroyed.exit_code == 0, destroyed.output
    assert "kept iam_role 'github-mcp-runtime-role'" in destroyed.output
    assert inventory()["roles"] == ["github-mcp-runtime-role"]


def test_an_adopted_role_outside_the_path_is_found_once_removed(sandbox: Sandbox, workdir: Path) -> None:
    apply_ok()
    iam().create_role(RoleName="github-mcp-extra", AssumeRolePolicyDocument=TRUST)
    stack = workdir / "stack.yaml"
    text = stack.read_text()
    stack.write_text(
        text.replace("resources:\n", "resources:\n  extra:\n    kind: iam_role\n    assume_role_policy: {}\n", 1)
    )
    assert reconcile("adopt", "extra", "--auto-approve").exit_code == 0
    stack.write_text(text)  # removed from the spec again
    assert actions()["iam_role.removed.github-mcp-extra"] == "delete"
    apply_ok()
    assert "github-mcp-extra" not in inventory()["roles"]
