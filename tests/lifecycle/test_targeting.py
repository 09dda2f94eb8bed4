"""--target (one resource and what it depends on) and --replace (force a replace), on plan and apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.server import Sandbox
from tests.conftest import edit_stack, reconcile
from tests.lifecycle.helpers import control, gateway_id, inventory
from tests.lifecycle.test_lifecycle import actions, apply_ok


def test_target_touches_only_the_resource_and_its_dependencies(sandbox: Sandbox, workdir: Path) -> None:
    result = reconcile("apply", "--auto-approve", "--target", "gateway")
    assert result.exit_code == 0, result.output
    assert "resource targeting is in effect: only gateway and what they depend on" in result.output
    found = inventory()
    assert found["gateways"] == ["github-mcp-gateway"] and found["targets"] == []
    assert found["roles"] == ["github-mcp-gateway-role"]  # the gateway's role, and the provider its policy names
    assert found["providers"] == ["github-mcp-github"]


def test_target_leaves_other_changes_for_later(sandbox: Sandbox, workdir: Path) -> None:
    apply_ok()
    edit_stack(workdir, "description: MCP gateway to the GitHub REST API, per-user OAuth", "description: later")
    edit_stack(workdir, "description: AgentCore gateway execution role (GitHub MCP stack)", "description: now")
    assert reconcile("apply", "--auto-approve", "--target", "gateway_role").exit_code == 0
    assert actions()["gateway.gateway"] == "update" and actions()["iam_role.gateway_role"] == "no-op"


@pytest.mark.eventual
def test_replace_forces_a_replacement_and_its_dependents_follow(sandbox: Sandbox, workdir: Path) -> None:
    apply_ok()
    old = gateway_id()
    plan = reconcile("plan", "--replace", "gateway").output
    assert "-/+ gateway.gateway [github-mcp-gateway] must be replaced (replacement requested with --replace)" in plan
    assert "-/+ gateway_target.github_target" in plan
    assert reconcile("apply", "--auto-approve", "--replace", "gateway").exit_code == 0
    assert gateway_id() != old and control().get_gateway(gatewayIdentifier=gateway_id())["status"] == "READY"
    assert set(actions().values()) == {"no-op"}


def test_an_unknown_address_is_an_error(sandbox: Sandbox, workdir: Path) -> None:
    result = reconcile("plan", "--target", "gatewy")
    assert result.exit_code == 1 and "no resource 'gatewy' in stack.yaml" in result.output
