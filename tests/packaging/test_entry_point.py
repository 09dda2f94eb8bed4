"""The zip's entry point starts mcp-server as AgentCore Runtime expects. With an AWS_IAM gateway the server
calls it with its own credentials, so every caller of the runtime would share one GitHub link: the entry
point itself declares nothing, and such a server starts only when the stack's agent_runtime says
`single_user: true` (which sets MCP_SINGLE_USER). It listens on the Runtime's port 8000 whatever PORT says, and
admits the public Host name the Runtime forwards (run here under the sandbox's launcher, which maps a bind to
8000 onto a free loopback port: sandbox/runtime_launch.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from handoff.config import HAND_OFF_VARIABLE, pack
from reconciler.kinds.agent_runtime import MCP_PORT
from reconciler.packaging import ENTRY_FILE, ENTRY_SOURCE
from sandbox.runtime_launch import CONTRACT_PORT_VARIABLE, DECOY_PORT, LAUNCHER, LAUNCHER_FILE, public_host
from tests.asgi import free_port
from tests.conftest import ROOT
from tests.server.conftest import write_config


def entry_point_environment(tmp_path: Path, authorizer: str, port: int) -> dict[str, str]:
    (tmp_path / ENTRY_FILE).write_text(ENTRY_SOURCE)
    (tmp_path / LAUNCHER_FILE).write_text(LAUNCHER)
    return {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),  # server/ and handoff/, as the zip holds them
        "PORT": DECOY_PORT,  # not followed: the Runtime's contract is 8000
        CONTRACT_PORT_VARIABLE: f"{MCP_PORT}:{port}",
        # what the agent_runtime kind sets, packed; the region comes from it (no AWS_REGION); MCP_SERVER_HOST is left
        # to the entry point
        HAND_OFF_VARIABLE: pack(write_config(tmp_path, authorizer).read_text()),
    }


def test_an_aws_iam_server_does_not_start_unless_the_stack_says_single_user(tmp_path: Path) -> None:
    env = entry_point_environment(tmp_path, "AWS_IAM", free_port())
    done = subprocess.run(
        [sys.executable, LAUNCHER_FILE, ENTRY_FILE], cwd=tmp_path, env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 1
    assert b"share one GitHub link" in done.stderr and b"--single-user" in done.stderr


@pytest.mark.parametrize(("authorizer", "single_user"), [("AWS_IAM", True), ("CUSTOM_JWT", False)])
def test_the_entry_point_serves_on_all_interfaces(tmp_path: Path, authorizer: str, single_user: bool) -> None:
    port = free_port()
    env = entry_point_environment(tmp_path, authorizer, port)
    if single_user:
        env["MCP_SINGLE_USER"] = "1"  # the agent_runtime kind's `single_user: true`
    log = tmp_path / "server.log"
    with log.open("wb") as errors:
        process = subprocess.Popen([sys.executable, LAUNCHER_FILE, ENTRY_FILE], cwd=tmp_path, env=env, stderr=errors)
    try:
        for _ in range(300):
            if process.poll() is not None:
                raise AssertionError(f"the server exited: {log.read_text()}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        else:
            raise AssertionError("the server did not answer")
        health = f"http://127.0.0.1:{port}/healthz"
        assert httpx.get(health, headers={"Host": public_host("us-east-1")}).status_code == 200
        assert httpx.get(health, headers={"Host": "attacker.example"}).status_code == 421
    finally:
        process.terminate()
        process.wait(timeout=30)
