"""The GitHub client secret: rotation is detected, and the secret never shows up anywhere."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from sandbox.server import Sandbox
from tests.conftest import SECRET, reconcile
from tests.lifecycle.helpers import control


def test_changed_secret_is_detected_and_applied(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert reconcile("apply", "--auto-approve").exit_code == 0
    monkeypatch.setenv("GITHUB_CLIENT_SECRET", "rotated-secret-value-42")
    plan = json.loads(reconcile("plan", "--json").stdout)
    github = next(rc for rc in plan["resource_changes"] if rc["address"] == "oauth2_provider.github")
    assert github["action"] == "update"
    assert github["change"]["changed_paths"] == [["client_secret"]]
    assert github["change"]["after"]["client_secret"] == "(sensitive)"
    assert "client_secret: (sensitive value changed)" in reconcile("plan").output
    assert reconcile("apply", "--auto-approve").exit_code == 0
    assert sandbox.app.identity.providers["github-mcp-github"].client_secret == "rotated-secret-value-42"
    assert reconcile("plan", "--detailed-exitcode").exit_code == 0


def test_secret_tag_is_not_reversible(sandbox: Sandbox, workdir: Path) -> None:
    assert reconcile("apply", "--auto-approve").exit_code == 0
    arn = control().get_oauth2_credential_provider(name="github-mcp-github")["credentialProviderArn"]
    tags = control().list_tags_for_resource(resourceArn=arn)["tags"]
    assert len(tags["reconcile:client-secret-hmac"]) == 64
    assert SECRET not in json.dumps(tags)


def test_secret_never_appears_in_plans_logs_or_config(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Our own loggers at every level; botocore at INFO. (botocore's wire-level DEBUG log prints
    # request bodies, secret included; the tool never turns it on.)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="reconciler")
    outputs = [
        reconcile("plan").output,
        reconcile("plan", "--json").output,
        reconcile("apply", "--auto-approve", "--debug").output,
    ]
    outputs.append((workdir / "config.json").read_text())
    monkeypatch.setenv("GITHUB_CLIENT_SECRET", SECRET + "-rotated")
    outputs += [
        reconcile("plan").output,
        reconcile("plan", "--json").output,
        reconcile("apply", "--auto-approve").output,
    ]
    outputs += [reconcile("output", "--json").output, reconcile("destroy", "--auto-approve").output]
    everything = "\n".join(outputs) + caplog.text
    assert SECRET not in everything
    assert "client_secret" in everything  # the field is shown, as (sensitive)
