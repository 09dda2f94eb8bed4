"""What the commands print is safe to print: no secret from any sensitive source in any format, and no control
character from AWS or the user reaches the terminal raw. Plus the CLI behaviours of issue 24 around them."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from sandbox.server import Sandbox
from tests.conftest import ROOT, SECRET, STACK_ENV, edit_stack, reconcile

LOCK = "/reconcile/github-mcp/lock"
HOSTILE_WHO = "mallory\x1b]0;owned\x07\x1b[2J\u202e"


def test_a_secret_interpolated_elsewhere_is_redacted_everywhere(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws_secret = os.environ["AWS_SECRET_ACCESS_KEY"]
    edit_stack(
        workdir,
        "description: MCP gateway to the GitHub REST API, per-user OAuth",
        "description: x-${env:GITHUB_CLIENT_SECRET}-${env:AWS_SECRET_ACCESS_KEY}-x",
    )
    monkeypatch.setenv("DEPLOY_TOKEN", "tok-0123456789-abcdef")
    edit_stack(workdir, "instructions: Tools that", "instructions: ${env:DEPLOY_TOKEN} Tools that")
    first = reconcile("plan")
    assert first.exit_code == 0, first.output
    outputs = [
        first.output,
        reconcile("plan", "--json").output,
        reconcile("plan", "--format", "markdown", "--markdown", "summary.md").output,
        reconcile("plan", "--out", "plan.json").output,
        reconcile("apply", "plan.json").output,
    ]
    outputs += [(workdir / name).read_text() for name in ("summary.md", "plan.json")]
    everything = "\n".join(outputs)
    assert "x-(sensitive)-(sensitive)-x" in everything
    for secret in (SECRET, aws_secret, "tok-0123456789-abcdef"):
        assert secret not in everything


def test_a_hostile_lock_holder_is_printed_escaped(sandbox: Sandbox, workdir: Path) -> None:
    holder = {"id": "x1", "who": HOSTILE_WHO, "where": "host\r\nError: forged", "since": "now", "command": "apply"}
    boto3.client("ssm").put_parameter(Name=LOCK, Type="String", Value=json.dumps(holder))
    for args in (("apply", "--auto-approve"), ("unlock", "x1")):
        output = reconcile(*args).output
        assert "\x1b" not in output and "\x07" not in output and "\u202e" not in output and "\r" not in output
        assert "mallory\\x1b]0;owned\\x07" in output and "host\\r\\nError: forged" in output


def test_a_hostile_key_in_the_stack_file_is_printed_escaped(sandbox: Sandbox, workdir: Path) -> None:
    edit_stack(workdir, "  gateway:\n", '  "gate\\e]0;x\\away":\n    kind: gateway\n  gateway:\n')
    output = reconcile("validate").output
    assert "\x1b" not in output and "\x07" not in output and "gate\\x1b]0;x\\x07way" in output


def test_validate_needs_no_secret(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pull-request job has no secret: validate must pass there (it exited 1)."""
    for name, value in STACK_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GITHUB_CLIENT_SECRET", raising=False)
    result = reconcile("validate")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("address", ["gateway", "gateway.gateway"], ids=["bare-key", "printed-address"])
def test_target_takes_the_address_the_plan_prints(sandbox: Sandbox, workdir: Path, address: str) -> None:
    result = reconcile("plan", "--target", address, "--json")
    assert result.exit_code == 0, result.output
    planned = [rc["address"] for rc in json.loads(result.stdout)["resource_changes"]]
    assert "gateway.gateway" in planned and "gateway_target.github_target" not in planned


def test_an_unknown_address_prints_no_plan(sandbox: Sandbox, workdir: Path) -> None:
    result = reconcile("plan", "--target", "gateway.nope")
    assert result.exit_code == 1 and "no resource 'nope'" in result.output
    assert "No changes" not in result.stdout


def test_sigterm_releases_the_lock_like_ctrl_c(sandbox: Sandbox, workdir: Path) -> None:
    """A CI runner cancels a job with SIGTERM: the calls in flight finish, the lock goes, the next apply runs."""
    ssm = boto3.client("ssm")

    def locked() -> bool:
        return bool(ssm.get_parameters(Names=[LOCK])["Parameters"])

    command = [sys.executable, "-m", "commands", "apply", "--auto-approve"]
    run = subprocess.Popen(
        command, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        for _ in range(1200):
            if locked() or run.poll() is not None:
                break
            time.sleep(0.05)
        assert locked(), "the apply never took the lock"
        run.send_signal(signal.SIGTERM)
        _, stderr = run.communicate(timeout=300)
    finally:
        run.kill()
    assert run.returncode == 1, stderr
    assert b"Interrupted" in stderr
    assert not locked()
    assert reconcile("apply", "--auto-approve").exit_code == 0


def test_no_color_also_for_errors(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    leader, follower = pty.openpty()
    command = [sys.executable, "-m", "commands", "apply", str(tmp_path / "missing.json")]
    with subprocess.Popen(command, env=env, stdout=follower, stderr=follower, cwd=tmp_path) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=120) == 1
    os.close(leader)
    out = b"".join(chunks).decode()
    assert "Error:" in out and "\x1b[" not in out
