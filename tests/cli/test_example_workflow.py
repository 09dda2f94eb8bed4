"""The example GitHub Actions workflow: its reconcile commands run, in order, against the sandbox,
and its jobs are guarded and keyless."""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml

from sandbox.server import Sandbox
from tests.conftest import ROOT, reconcile

WORKFLOW = ROOT / ".github" / "workflows" / "reconcile.yml"


def reconcile_commands(job: dict) -> list[list[str]]:
    """The `uv run reconcile ...` command lines of a job's run steps, shell redirections dropped."""
    found = []
    for step in job["steps"]:
        for line in step.get("run", "").splitlines():
            if line.strip().startswith("uv run reconcile "):
                words = shlex.split(line.strip())
                found.append(words[3 : words.index(">") if ">" in words else None])
    return found


def test_jobs_are_guarded_and_use_oidc_not_keys() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    for name, job in workflow["jobs"].items():
        assert "vars.RECONCILE_AWS_ROLE_ARN != ''" in job["if"], name
        assert job["permissions"]["id-token"] == "write", name
    assert "AWS_ACCESS_KEY_ID" not in WORKFLOW.read_text() and "aws-secret-access-key" not in WORKFLOW.read_text()


def test_the_commands_run_in_order_against_the_sandbox(sandbox: Sandbox, workdir: Path, tmp_path: Path) -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    summary = tmp_path / "step-summary.md"
    expected = {"plan": [0, 0, 0], "apply": [0], "drift": [0]}
    for job, codes in expected.items():
        commands = reconcile_commands(workflow["jobs"][job])
        assert len(commands) == len(codes), (job, commands)
        for command, code in zip(commands, codes, strict=True):
            args = [str(summary) if word == "$GITHUB_STEP_SUMMARY" else word for word in command]
            result = reconcile(*args)
            assert result.exit_code == code, (job, args, result.output)
    assert summary.read_text().startswith("**Plan: 9 to add")  # the pull request's summary
    assert "No changes." in summary.read_text()  # the nightly drift check after the apply
