"""Saved plans: what was reviewed is applied, or nothing is."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest

from reconciler.applying import apply_plan
from reconciler.aws import make_clients
from reconciler.kinds.base import Context
from reconciler.live import Live
from reconciler.plan import Action, Plan, ResourceChange
from sandbox.server import Sandbox
from tests.conftest import SECRET, edit_stack, reconcile
from tests.lifecycle.helpers import EMPTY, FULL_STACK, control, gateway_id, iam, inventory, settled


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


# A saved plan is a promise, not a program: `apply FILE` plans again and applies only that, if it is the saved one.


def tampered(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))


def change_of(document: dict[str, Any], address: str) -> dict[str, Any]:
    return next(c for c in document["plan"]["changes"] if c["address"] == address)


def add_a_delete(document: dict[str, Any]) -> None:
    """Delete an untagged role the stack never declared, claiming it is owned."""
    role = iam().get_role(RoleName="someone-elses-role")["Role"]
    live = {"$type": "Live", "name": role["RoleName"], "owned": True, "document": {}, "outputs": {"arn": role["Arn"]}}
    live |= {"status": None, "notes": [], "tags": {"reconcile:stack": "github-mcp"}, "unmanaged": {}}
    delete = {"$type": "ResourceChange", "address": "removed.someone-elses-role", "kind": "iam_role"}
    delete |= {"name": role["RoleName"], "action": "delete", "before": {}, "after": None, "current": live}
    document["plan"]["changes"].append(delete)


def widen_a_policy(document: dict[str, Any]) -> None:
    role = change_of(document, "gateway_role")
    for side in (role["spec"], role["after"]):
        side["policy"]["Statement"][0]["Action"] = "*"
        side["policy"]["Statement"][0]["Resource"] = "*"


def change_a_target(document: dict[str, Any]) -> None:
    target = change_of(document, "github_target")
    target["spec"]["description"] = target["after"]["description"] = "now calls elsewhere"
    for document in (target["spec"]["openapi_document"], target["after"]["openapi"]):
        document["servers"] = [{"url": "https://attacker.example"}]


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(add_a_delete, id="a-delete-added"),
        pytest.param(widen_a_policy, id="a-policy-widened"),
        pytest.param(change_a_target, id="a-target-changed"),
    ],
)
def test_a_tampered_plan_is_refused_and_nothing_changes(
    sandbox: Sandbox, workdir: Path, edit: Callable[[dict[str, Any]], None]
) -> None:
    iam().create_role(RoleName="someone-elses-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"}))
    before = inventory()
    path = save_plan(workdir)
    tampered(path, edit)
    result = reconcile("apply", "plan.json")
    assert result.exit_code == 1, result.output
    assert "the saved plan is not what a plan made now would do" in result.output
    assert "Nothing was changed" in result.output
    assert inventory() == before  # the role is still there, nothing was created


def test_the_refusal_names_what_differs(sandbox: Sandbox, workdir: Path) -> None:
    iam().create_role(RoleName="someone-elses-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"}))
    path = save_plan(workdir)
    tampered(path, lambda d: (add_a_delete(d), widen_a_policy(d)))
    output = reconcile("apply", "plan.json").output
    assert "removed.someone-elses-role: only the saved plan has it (delete)" in output
    assert "gateway_role: " in output and "policy.Statement" in output


def test_a_plan_saved_without_the_secret_refuses_a_rotated_one(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fork's PR plan cannot compare the secret; applying it after a rotation must not drop the rotation."""
    assert reconcile("apply", "--auto-approve").exit_code == 0
    monkeypatch.delenv("GITHUB_CLIENT_SECRET")
    save_plan(workdir)
    assert json.loads((workdir / "plan.json").read_text())["secrets"] == {"github.client_secret": "not compared"}
    monkeypatch.setenv("GITHUB_CLIENT_SECRET", "rotated-secret-value-42")
    result = reconcile("apply", "plan.json")
    assert result.exit_code == 1, result.output
    assert "github.client_secret differs from what was last applied" in result.output
    assert "rotated-secret-value-42" not in result.output
    assert sandbox.app.identity.providers["github-mcp-github"].client_secret == SECRET
    # The same plan with the secret unchanged applies: nothing to drop.
    monkeypatch.setenv("GITHUB_CLIENT_SECRET", SECRET)
    assert reconcile("apply", "plan.json").exit_code == 0


def test_a_plan_saved_with_a_rotation_applies_it_and_only_that_secret(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert reconcile("apply", "--auto-approve").exit_code == 0
    monkeypatch.setenv("GITHUB_CLIENT_SECRET", "rotated-secret-value-42")
    path = save_plan(workdir)
    assert "rotated-secret-value-42" not in path.read_text()
    monkeypatch.setenv("GITHUB_CLIENT_SECRET", "yet-another-secret-43")
    refused = reconcile("apply", "plan.json")
    assert refused.exit_code == 1 and "github.client_secret is not the value the plan was made with" in refused.output
    assert sandbox.app.identity.providers["github-mcp-github"].client_secret == SECRET
    monkeypatch.setenv("GITHUB_CLIENT_SECRET", "rotated-secret-value-42")
    applied = reconcile("apply", "plan.json")
    assert applied.exit_code == 0, applied.output
    assert sandbox.app.identity.providers["github-mcp-github"].client_secret == "rotated-secret-value-42"


def test_a_saved_plan_applies_from_another_checkout(
    sandbox: Sandbox, workdir: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PR job and the apply job check the same commit out in different folders."""
    save_plan(workdir)
    other = tmp_path_factory.mktemp("other-checkout")
    shutil.copy(workdir / "stack.yaml", other / "stack.yaml")
    shutil.copytree(workdir / "openapi", other / "openapi")
    shutil.copy(workdir / "plan.json", other / "plan.json")
    monkeypatch.chdir(other)
    result = reconcile("apply", "plan.json")
    assert result.exit_code == 0, result.output
    assert inventory() == FULL_STACK


def test_a_saved_destroy_plan_destroys(sandbox: Sandbox, workdir: Path) -> None:
    assert reconcile("apply", "--auto-approve").exit_code == 0
    assert reconcile("plan", "--destroy", "--out", "plan.json").exit_code == 0
    result = reconcile("apply", "plan.json")
    assert result.exit_code == 0, result.output
    assert inventory() == EMPTY and not (workdir / "config.json").exists()


def test_an_apply_between_plan_and_apply_makes_it_stale(sandbox: Sandbox, workdir: Path) -> None:
    save_plan(workdir)
    assert reconcile("apply", "--auto-approve").exit_code == 0
    result = reconcile("apply", "plan.json")
    assert result.exit_code == 1 and "stale plan" in result.output


def test_plan_out_waits_for_the_lock(sandbox: Sandbox, workdir: Path) -> None:
    """`plan --out` reads under the stack's lock: it never saves a plan read halfway through an apply."""
    boto3.client("ssm").put_parameter(
        Name="/reconcile/github-mcp/lock",
        Type="String",
        Value=json.dumps({"id": "x1", "who": "ci", "where": "runner", "since": "now", "command": "apply"}),
    )
    result = reconcile("plan", "--out", "plan.json")
    assert result.exit_code == 1 and "is locked by ci@runner" in result.output
    assert not (workdir / "plan.json").exists()
    assert reconcile("plan").exit_code == 0  # a plain plan needs no lock


def test_apply_reads_ownership_again_before_every_delete(sandbox: Sandbox, workdir: Path) -> None:
    """Whatever a plan claims (`owned=True` here), a resource without this stack's tag is never deleted."""
    iam().create_role(RoleName="someone-elses-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"}))
    claimed = Live(name="someone-elses-role", owned=True, document={}, outputs={})
    delete = ResourceChange("removed.someone-elses-role", "iam_role", "someone-elses-role", Action.DELETE, {}, None)
    ctx = Context(clients=make_clients(profile=None, region=None), stack="github-mcp")
    result = apply_plan(ctx, Plan("github-mcp", (replace(delete, current=claimed),)))
    assert not result.ok
    assert "no longer carries the tag reconcile:stack=github-mcp; not deleted" in (result.outcomes[0].error or "")
    assert "someone-elses-role" in inventory()["roles"]


def test_a_child_alone_is_not_deleted_when_its_owner_was_handed_to_another_stack(
    sandbox: Sandbox, workdir: Path
) -> None:
    """A plan of the target alone (`--target` of the child: its gateway is not in the plan) still reads the
    gateway's ownership from AWS right before the delete."""
    assert reconcile("apply", "--auto-approve").exit_code == 0
    gateway = control().get_gateway(gatewayIdentifier=gateway_id())
    control().tag_resource(resourceArn=gateway["gatewayArn"], tags={"reconcile:stack": "someone-else"})
    found = control().list_gateway_targets(gatewayIdentifier=gateway_id())["items"][0]
    claimed = Live(
        name=found["name"],
        owned=True,
        document={},
        outputs={"id": found["targetId"], "name": found["name"], "gateway_id": gateway_id()},
    )
    delete = ResourceChange("github_target", "gateway_target", found["name"], Action.DELETE, {}, None)
    ctx = Context(clients=make_clients(profile=None, region=None), stack="github-mcp")
    result = apply_plan(ctx, Plan("github-mcp", (replace(delete, current=claimed),)))
    assert not result.ok
    error = result.outcomes[0].error or ""
    assert "its gateway 'github-mcp-gateway' no longer carries the tag reconcile:stack=github-mcp" in error
    assert control().list_gateway_targets(gatewayIdentifier=gateway_id())["items"], "the target was deleted"
