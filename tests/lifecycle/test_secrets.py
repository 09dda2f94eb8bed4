"""The GitHub client secret: rotation is detected, and the secret never shows up anywhere."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from pathlib import Path

import pytest

from reconciler.secrets import _salt, fingerprint_matches, secret_fingerprint
from sandbox.server import Sandbox
from tests.conftest import SECRET, reconcile
from tests.lifecycle.helpers import control


@pytest.mark.eventual
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


def provider_tags() -> dict[str, str]:
    arn = control().get_oauth2_credential_provider(name="github-mcp-github")["credentialProviderArn"]
    return dict(control().list_tags_for_resource(resourceArn=arn)["tags"])


def test_secret_tag_is_salted_and_slow(sandbox: Sandbox, workdir: Path) -> None:
    assert reconcile("apply", "--auto-approve").exit_code == 0
    tag = provider_tags()["reconcile:client-secret-fingerprint"]
    scheme, salt, digest = tag.split(":")
    assert scheme == "scrypt1" and len(base64.b64decode(salt)) == 16 and len(base64.b64decode(digest)) == 32
    assert SECRET not in tag
    # Keyed by a random salt, not by public names: the same secret fingerprints differently for another
    # provider and in another process (drawn once per process, secret and provider: reconciler.secrets._salt).
    assert secret_fingerprint(SECRET, resource="a") != secret_fingerprint(SECRET, resource="b")
    before = secret_fingerprint(SECRET, resource="a")
    _salt.cache_clear()  # what a new process starts with
    assert secret_fingerprint(SECRET, resource="a") != before
    assert fingerprint_matches(SECRET, tag, stack="github-mcp", resource="github-mcp-github")
    assert not fingerprint_matches(SECRET + "x", tag, stack="github-mcp", resource="github-mcp-github")


def test_legacy_hmac_tag_is_upgraded_without_claiming_a_new_secret(sandbox: Sandbox, workdir: Path) -> None:
    assert reconcile("apply", "--auto-approve").exit_code == 0
    arn = control().get_oauth2_credential_provider(name="github-mcp-github")["credentialProviderArn"]
    legacy = hmac.new(b"reconcile:github-mcp:github-mcp-github", SECRET.encode(), hashlib.sha256).hexdigest()
    control().untag_resource(resourceArn=arn, tagKeys=["reconcile:client-secret-fingerprint"])
    control().tag_resource(resourceArn=arn, tags={"reconcile:client-secret-hmac": legacy})
    plan = json.loads(reconcile("plan", "--json").stdout)
    github = next(rc for rc in plan["resource_changes"] if rc["address"] == "oauth2_provider.github")
    assert github["change"]["changed_paths"] == [["fingerprint_scheme"]]  # not client_secret
    assert reconcile("apply", "--auto-approve").exit_code == 0
    tags = provider_tags()
    assert (
        tags["reconcile:client-secret-fingerprint"].startswith("scrypt1:")
        and "reconcile:client-secret-hmac" not in tags
    )
    assert reconcile("plan", "--detailed-exitcode").exit_code == 0


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


def test_plan_without_the_secret_works_and_apply_refuses(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pull request from a fork has no secrets: its plan runs; only apply needs them."""
    assert reconcile("apply", "--auto-approve").exit_code == 0
    monkeypatch.delenv("GITHUB_CLIENT_SECRET")
    plan = reconcile("plan", "--detailed-exitcode", "--show-unchanged")
    assert plan.exit_code == 0, plan.output  # nothing else changed
    assert "client_secret: (not compared: GITHUB_CLIENT_SECRET is not set)" in plan.output
    assert "github.client_secret was not compared: GITHUB_CLIENT_SECRET is not set" in plan.output
    document = json.loads(reconcile("plan", "--json").stdout)
    assert [d["severity"] for d in document["diagnostics"]] == ["warning"]
    applied = reconcile("apply", "--auto-approve")
    assert applied.exit_code == 1 and "environment variable GITHUB_CLIENT_SECRET is not set" in applied.output
