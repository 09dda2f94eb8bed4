"""Saved plans: what was reviewed is applied, or nothing is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.server import Sandbox
from tests.conftest import SECRET, edit_stack, reconcile
from tests.lifecycle.helpers import FULL_STACK, control, gateway_id, inventory, settled


def save_plan(workdir: Path) -> Path:
    result = reconcile("plan", "--out", "plan.json")
    assert result.exit_code == 0, result.output
    return workdir / "plan.json"


@pytest.mark.eventual
def test_a_saved_plan_applies_without_asking_and_holds_no_secret(sandbox: Sandbox, workdir: Path) -> None:
    path = save_plan(workdir)
    assert SECRET not in path.read_text()
    json.loads(path.read_text())  # plain JSON
    result = reconcile("apply", "plan.json")  # no --auto-approve, stdin not a terminal: still applies
    assert result.exit_code == 0, result.output
    assert inventory() == FULL_STACK
    assert sandbox.app.identity.providers["github-mcp-github"].client_secret == SECRET  # read from the environment


def test_a_console_change_makes_it_stale(sandbox: Sandbox, workdir: Path) -> None:
    assert reconcile("apply", "--auto-approve").exit_code == 0
    edit_stack(workdir, "description: MCP gateway to the GitHub REST API, per-user OAuth", "description: reviewed")
    save_plan(workdir)
    found = control().get_gateway(gatewayIdentifier=gateway_id())
    control().update_gateway(
        gatewayIdentifier=gateway_id(),
        **{k: found[k] for k in ("name", "roleArn", "protocolType", "protocolConfiguration", "authorizerType")},
        authorizerConfiguration=found["authorizerConfiguration"],
        description="edited in the console",
    )
    settled(gateway_id())  # an eventually consistent read may show the old document once, to anyone
    result = reconcile("apply", "plan.json")
    assert result.exit_code == 1
    assert "stale plan: the live state of gateway changed" in result.output
    assert control().get_gateway(gatewayIdentifier=gateway_id())["description"] == "edited in the console"


@pytest.mark.parametrize("edited", ["stack.yaml", "openapi/github.yaml"])
def test_an_edited_file_makes_it_stale(sandbox: Sandbox, workdir: Path, edited: str) -> None:
    save_plan(workdir)
    path = workdir / edited
    path.write_text(path.read_text() + "\n# edited after the review\n")
    result = reconcile("apply", "plan.json")
    assert result.exit_code == 1 and f"{edited} changed" in result.output
    assert inventory()["gateways"] == []


def test_a_plan_file_from_a_newer_version_is_refused(sandbox: Sandbox, workdir: Path) -> None:
    path = save_plan(workdir)
    document = json.loads(path.read_text())
    path.write_text(json.dumps({**document, "plan_file_version": 99}))
    result = reconcile("apply", "plan.json")
    assert result.exit_code == 1 and "plan file version 99" in result.output
