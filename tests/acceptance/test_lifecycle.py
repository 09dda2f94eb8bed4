"""Acceptance (Terraform's TF_ACC=1): a throwaway stack with a random name through every step a user's stack
goes through, against the sandbox, or a real account when asked (conftest.py says how), then destroyed,
whatever happened, and nothing tagged with its name left behind.

Steps, each checked in the plan's JSON form before it is applied and by a no-op plan after: preflight (on AWS
the caller's permissions; in the sandbox its root user); create; no-op
(plan and apply change nothing); update in place (one field of each kind that has one); replace (`--replace`
of every resource: the same path a forcing field takes); destroy.

Kinds covered: iam_role, oauth2_provider, gateway, gateway_target, workload_identity, session_table,
artifact_bucket, secret_parameter, config_parameter. Not yet: code_artifact and agent_runtime (packaging the
server and running it), the hosted callback's lambda_function and function_url; nor a consent flow.
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from commands.reconcile import main
from reconciler.settings import EngineSettings
from tests.acceptance.shapes import ShapeRecorder
from tests.conftest import FAST, ROOT, STACK_ENV
from tests.shipped_stack import RUNTIME_PART

LOCAL_CALLBACK = "http://localhost:8080/oauth/callback"
EXTRA = """
  sessions:
    kind: session_table

  artifacts:
    kind: artifact_bucket

  callback_identity:
    kind: workload_identity
    allowed_return_urls: ["http://localhost:8080/oauth/callback"]

  callback_secret:
    kind: secret_parameter

  callback_config:
    kind: config_parameter
    hand_off:
      - ${gateway.hand_off}
      - ${github_target.hand_off}
"""
UPDATES = {
    "gateway_role": ("execution role (GitHub MCP stack)", "execution role (acceptance, updated)"),
    "gateway": ("description: MCP gateway to the GitHub REST API", "description: MCP gateway, updated"),
    "github_target": ("(user profile and repositories)", "(updated)"),
    "callback_identity": ('["http://localhost:8080/oauth/callback"]', '["http://localhost:8080/oauth/updated"]'),
    "callback_secret": ("kind: secret_parameter\n", 'kind: secret_parameter\n    rotation: "2"\n'),
}
"""Per kind with an in-place field, one edit of the stack file; the provider's is its client id (environment).
session_table, artifact_bucket and config_parameter (its value follows the gateway's hand-off) have none here:
they are replaced only."""
ENVIRONMENT = {
    **{k: v for k, v in STACK_ENV.items() if not k.startswith("OIDC_")},
    "GATEWAY_AUTHORIZER": "AWS_IAM",  # no identity provider needed, on either endpoint
    "GITHUB_CLIENT_ID": "Iv1.acceptance",
}


KINDS = {
    "gateway_role": "iam_role",
    "runtime_role": "iam_role",
    "github": "oauth2_provider",
    "gateway": "gateway",
    "github_target": "gateway_target",
    "callback_identity": "workload_identity",
    "sessions": "session_table",
    "artifacts": "artifact_bucket",
    "callback_secret": "secret_parameter",
    "callback_config": "config_parameter",
}
"""The throwaway stack's resources (the kinds each step goes through)."""


def _stack(name: str) -> str:
    """The shipped stack above its Runtime part, renamed, returning browsers to a local callback, plus EXTRA."""
    shipped = (ROOT / "stack.yaml").read_text()
    text = shipped[: shipped.index(RUNTIME_PART)].replace("stack: github-mcp", f"stack: {name}", 1)
    return re.sub(r"(?m)^  callback_url: .*$", f"  callback_url: {LOCAL_CALLBACK}", text, count=1) + EXTRA


def _run(target: str, *args: str) -> Result:
    settings = FAST if target == "sandbox" else EngineSettings()  # AWS: the real waits, no 10 ms polling
    return CliRunner().invoke(main, list(args), catch_exceptions=False, obj=settings)


def _planned(target: str, *args: str) -> dict[str, str]:
    """logical address -> action, from `plan --json`."""
    result = _run(target, "plan", "--json", *args)
    assert result.exit_code == 0, result.output
    return {c["address"].split(".", 1)[1]: c["action"] for c in json.loads(result.stdout)["resource_changes"]}


def _apply(target: str, *args: str) -> None:
    result = _run(target, "apply", "--auto-approve", *args)
    assert result.exit_code == 0, result.output


def _converged(target: str) -> None:
    result = _run(target, "plan", "--detailed-exitcode")
    assert result.exit_code == 0, f"not a no-op after apply:\n{result.output}"


def test_every_kind_through_create_noop_update_replace_destroy(
    target: str, endpoint: str, recorder: ShapeRecorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"acc-{secrets.token_hex(4)}"
    for key, value in ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    for key in ("OIDC_DISCOVERY_URL", "OIDC_CLIENT_ID"):
        monkeypatch.delenv(key, raising=False)
    (tmp_path / "openapi").mkdir()
    (tmp_path / "openapi" / "github.yaml").write_text((ROOT / "openapi" / "github.yaml").read_text())
    (tmp_path / "stack.yaml").write_text(_stack(name))
    monkeypatch.chdir(tmp_path)
    try:
        _create_and_noop(target)
        _update(target, tmp_path, monkeypatch)
        _replace(target)
    finally:
        destroyed = _run(target, "destroy", "--auto-approve")
    assert destroyed.exit_code == 0, destroyed.output
    _nothing_tagged(target, name)
    assert {"iam:CreateRole", "bedrock-agentcore-control:CreateGateway", "s3:CreateBucket"} <= set(recorder.shapes)


def _create_and_noop(target: str) -> None:
    checked = _run(target, "preflight")  # on AWS: stop before creating anything the caller could not delete
    assert checked.exit_code == 0, checked.output
    planned = _planned(target)
    assert planned == dict.fromkeys(KINDS, "create"), planned
    _apply(target)
    _converged(target)
    _apply(target)  # a no-op apply changes nothing and still converges
    _converged(target)


def _update(target: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (folder / "stack.yaml").read_text()
    for old, new in UPDATES.values():
        assert old in text, old
        text = text.replace(old, new, 1)
    (folder / "stack.yaml").write_text(text)
    monkeypatch.setenv("GITHUB_CLIENT_ID", "Iv1.acceptanceupdated")
    changed = {address: action for address, action in _planned(target).items() if action != "no-op"}
    assert changed == dict.fromkeys([*UPDATES, "github"], "update"), changed
    _apply(target)
    _converged(target)


def _replace(target: str) -> None:
    forced = [arg for address in KINDS for arg in ("--replace", address)]
    planned = _planned(target, *forced)
    assert planned == dict.fromkeys(KINDS, "replace"), planned
    _apply(target, *forced)
    _converged(target)


def _nothing_tagged(target: str, name: str) -> None:
    """`reconcile stacks` lists every owner of a reconcile:stack tag, kind by kind: the stack is not one."""
    listed = _run(target, "stacks")
    assert listed.exit_code == 0, listed.output
    owners: list[Any] = [line.split()[0] for line in listed.stdout.splitlines() if line and not line.startswith("No ")]
    assert name not in owners, listed.stdout
