"""One apply or destroy of a stack at a time: the SSM lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from sandbox.server import Sandbox
from tests.conftest import ROOT, reconcile
from tests.lifecycle.helpers import EMPTY, FULL_STACK, inventory

LOCK = "/reconcile/github-mcp/lock"


def ssm() -> Any:
    return boto3.client("ssm")


def lock_exists() -> bool:
    return bool(ssm().get_parameters(Names=[LOCK])["Parameters"])


def test_a_held_lock_stops_apply_and_unlock_removes_it(sandbox: Sandbox, workdir: Path) -> None:
    dead = {"id": "1234-dead", "who": "ci", "where": "runner-7", "since": "2026-11-27T10:00:00Z", "command": "apply"}
    ssm().put_parameter(Name=LOCK, Value=json.dumps(dead), Type="String")  # a run that was killed
    result = reconcile("apply", "--auto-approve")
    assert result.exit_code == 1
    assert "locked by ci@runner-7 since 2026-11-27T10:00:00Z (apply), lock id 1234-dead" in result.output
    assert "reconcile unlock 1234-dead" in result.output
    assert inventory() == EMPTY
    assert reconcile("unlock", "not-the-id").exit_code == 1 and lock_exists()
    unlocked = reconcile("unlock", "1234-dead")
    assert unlocked.exit_code == 0, unlocked.output
    assert reconcile("apply", "--auto-approve").exit_code == 0
    assert inventory() == FULL_STACK and not lock_exists()


def test_lock_false_skips_it(sandbox: Sandbox, workdir: Path) -> None:
    ssm().put_parameter(Name=LOCK, Value="{}", Type="String")
    assert reconcile("apply", "--auto-approve", "--lock=false").exit_code == 0
    assert inventory() == FULL_STACK


def test_two_applies_at_once_take_turns(sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second apply starts once the first holds the lock, and the first is kept busy (1 s per AWS call)
    until the second says it is waiting; then the sandbox answers at once again. So the runs overlap however
    slowly the second starts on a loaded machine (with a fixed latency alone, the first could finish before
    the second had imported its modules: then neither waits, and the test would prove nothing)."""
    monkeypatch.setattr(sandbox.app, "latency", 1.0)
    command = [sys.executable, "-m", "commands", "apply", "--auto-approve", "--lock-timeout", "5m"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while not lock_exists():
        assert first.poll() is None and time.monotonic() < deadline, "the first apply never took the lock"
        time.sleep(0.05)
    second = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert second.stdout is not None
    seen: list[str] = []
    for line in second.stdout:
        seen.append(line)
        if "Waiting for the lock of stack 'github-mcp'" in line:
            break
    sandbox.app.latency = 0.0
    outputs = [first.communicate(timeout=240)[0], "".join(seen) + second.communicate(timeout=240)[0]]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    assert "Waiting for the lock" not in outputs[0] and "Waiting for the lock" in outputs[1], outputs
    assert inventory() == FULL_STACK and not lock_exists()


def test_destroy_takes_the_lock_too(sandbox: Sandbox, workdir: Path) -> None:
    assert reconcile("apply", "--auto-approve").exit_code == 0
    ssm().put_parameter(
        Name=LOCK,
        Value=json.dumps({"id": "x", "who": "a", "where": "b", "since": "c", "command": "apply"}),
        Type="String",
    )
    result = reconcile("destroy", "--auto-approve")
    assert result.exit_code == 1 and "lock id x" in result.output
    assert inventory() == FULL_STACK


def test_a_killed_apply_leaves_its_lock_and_unlock_removes_it(sandbox: Sandbox, workdir: Path) -> None:
    command = [sys.executable, "-m", "commands", "apply", "--auto-approve"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            if lock_exists():
                break
            time.sleep(0.05)
        assert lock_exists(), "the apply never took the lock"
    finally:
        run.kill()  # SIGKILL: no finally block runs, as when a CI runner is cancelled hard
        run.wait(timeout=30)
    held = json.loads(ssm().get_parameter(Name=LOCK)["Parameter"]["Value"])
    blocked = reconcile("apply", "--auto-approve")
    assert blocked.exit_code == 1 and f"reconcile unlock {held['id']}" in blocked.output
    assert reconcile("unlock", held["id"]).exit_code == 0
    assert reconcile("apply", "--auto-approve").exit_code == 0
    assert inventory() == FULL_STACK and not lock_exists()
