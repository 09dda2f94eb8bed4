"""The example GitHub Actions workflow: its reconcile commands run, job by job, against the sandbox with exactly
the environment that job has on GitHub (its variables, and a secret only where the job is given one), and its
jobs are guarded, keyless, and use names GitHub accepts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox.server import Sandbox
from tests.conftest import ROOT, SECRET, STACK_ENV, reconcile

WORKFLOW = ROOT / ".github" / "workflows" / "reconcile.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(vars|secrets)\.([A-Za-z0-9_]+)\s*\}\}")
STACK_VARIABLES = {"AWS_REGION"} | {
    name
    for line in (ROOT / "stack.yaml").read_text().splitlines()
    if not line.lstrip().startswith("#")
    for name in re.findall(r"\$\{env:([A-Z0-9_]+)", line)
}
"""Every variable the shipped stack reads (its ${env:...} references), and the region."""
SHELL_ENDS = {">", "||", "&&", ";", "|"}


def workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return loaded


def reconcile_commands(job: dict[str, Any]) -> list[tuple[list[str], dict[str, str]]]:
    """The `uv run reconcile ...` command lines of a job's run steps (shell redirections dropped), each with
    the environment its step declares."""
    found = []
    for step in job["steps"]:
        for line in step.get("run", "").splitlines():
            if line.strip().startswith("uv run reconcile "):
                words = shlex.split(line.strip())[3:]
                end = next((i for i, w in enumerate(words) if w in SHELL_ENDS), len(words))
                found.append((words[:end], step.get("env", {})))
    return found


def job_environment(
    job: dict[str, Any], step: dict[str, str], vars_: dict[str, str], secrets: dict[str, str]
) -> dict[str, str]:
    """The workflow's, the job's and the step's `env:` with `vars.*` and `secrets.*` filled in as GitHub does
    (an unset one is the empty string)."""
    merged = {**workflow().get("env", {}), **job.get("env", {}), **step}

    def value(match: re.Match[str]) -> str:
        return (vars_ if match.group(1) == "vars" else secrets).get(match.group(2), "")

    return {k: EXPRESSION.sub(value, str(v)) for k, v in merged.items()}


def test_jobs_are_guarded_and_use_oidc_not_keys() -> None:
    jobs = workflow()["jobs"]
    for name in ("plan", "apply", "drift"):
        assert "vars.RECONCILE_AWS_ROLE_ARN != ''" in jobs[name]["if"], name
        assert jobs[name]["permissions"]["id-token"] == "write", name
    assert "id-token" not in jobs["preview"]["permissions"]  # a fork's pull request gets no OIDC token
    assert "aws-secret-access-key" not in WORKFLOW.read_text()


def test_names_are_ones_github_accepts() -> None:
    """GitHub refuses variables and secrets named GITHUB_*; the stack's own variable names stay as they are."""
    names = {match.group(2) for match in EXPRESSION.finditer(WORKFLOW.read_text())}
    assert names and not [n for n in names if n.upper().startswith("GITHUB_")]


def test_only_apply_has_the_secret_and_every_stack_input_is_passed() -> None:
    jobs = workflow()["jobs"]
    text = WORKFLOW.read_text()
    assert text.count("secrets.") == 1 and "secrets.OAUTH_CLIENT_SECRET" in text
    assert any(env.get("GITHUB_CLIENT_SECRET") for _, env in reconcile_commands(jobs["apply"]))
    assert set(workflow()["env"]) >= STACK_VARIABLES - {"GITHUB_CLIENT_SECRET", "SERVER_SOURCE"}


def test_applies_are_never_cancelled_or_replaced() -> None:
    """GitHub replaces a concurrency group's pending run by a newer one ("any previously pending job or
    workflow in the concurrency group will be canceled", GitHub docs, "Control the concurrency of workflows
    and jobs"), which would drop a merge's apply: applies queue on the stack's lock instead, with a timeout
    long enough for a queue of merges; the drift check keeps a group of its own and is never cancelled."""
    jobs = workflow()["jobs"]
    assert "concurrency" not in jobs["apply"] and "concurrency" not in workflow()
    [apply] = [words for words, _ in reconcile_commands(jobs["apply"]) if words[0] == "apply"]
    assert apply[apply.index("--lock-timeout") + 1] == "60m" and "--lock=false" not in apply
    assert jobs["drift"]["concurrency"]["cancel-in-progress"] is False


def test_paths_include_everything_the_stack_deploys() -> None:
    on = workflow()[True]  # YAML 1.1 reads the key `on` as true
    for event in ("pull_request", "push"):
        paths = set(on[event]["paths"])
        assert {
            "stack.yaml",
            "openapi/**",
            "server/**",
            "handoff/**",
            "callback/**",
            "pyproject.toml",
            "uv.lock",
        } <= paths


def test_the_plan_comment_is_upserted_also_when_the_plan_fails() -> None:
    step = next(s for s in workflow()["jobs"]["plan"]["steps"] if s.get("name", "").startswith("Comment"))
    assert step["if"] == "always()"
    assert "<!-- reconcile-plan:" in step["run"] and "--method PATCH" in step["run"]


@pytest.mark.parametrize("fork", [False, True], ids=["same-repository", "fork"])
def test_the_commands_run_in_order_with_each_jobs_environment(
    sandbox: Sandbox, workdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fork: bool
) -> None:
    vars_ = {
        "AWS_REGION": "us-east-1",
        "OAUTH_CLIENT_ID": STACK_ENV["GITHUB_CLIENT_ID"],
        "OIDC_DISCOVERY_URL": f"{sandbox.url}/oidc/.well-known/openid-configuration",
        "OIDC_CLIENT_ID": "sandbox-demo",
        "RECONCILE_AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/reconcile",
    }
    secrets = {"OAUTH_CLIENT_SECRET": SECRET}
    jobs = workflow()["jobs"]
    summary = tmp_path / "step-summary.md"
    expected = {"preview": [0, 0]} if fork else {"plan": [0, 0, 0], "apply": [0], "drift": [0]}
    for name, codes in expected.items():
        commands = reconcile_commands(jobs[name])
        assert len(commands) == len(codes), (name, commands)
        for (command, step_env), code in zip(commands, codes, strict=True):
            for variable in STACK_VARIABLES:
                monkeypatch.delenv(variable, raising=False)
            environment = job_environment(jobs[name], step_env, {} if fork else vars_, {} if fork else secrets)
            for key, value in environment.items():
                # The job's own sandbox listens on 4566; this test's on another port.
                monkeypatch.setenv(key, value.replace("http://127.0.0.1:4566", sandbox.url))
            monkeypatch.setenv("SERVER_SOURCE", str(ROOT))  # on GitHub the checkout is the project (source: .)
            args = [str(summary) if word == "$GITHUB_STEP_SUMMARY" else word for word in command]
            result = reconcile(*args)
            assert result.exit_code == code, (name, args, result.output)
            assert SECRET not in result.output
    markdown = summary.read_text()
    assert markdown.startswith("<!-- reconcile-plan: github-mcp -->\n#### reconcile plan: stack `github-mcp`")
    assert "**Plan: 9 to add" in markdown  # the pull request's plan, or the fork's preview
    if not fork:
        assert "No changes." in markdown  # the nightly drift check after the apply
