"""The zip's entry point starts mcp-server as AgentCore Runtime expects, for every gateway authorizer:
with AWS_IAM the server calls the gateway with its own credentials, which it only does beyond loopback
when told every request is authenticated first, as the Runtime does (SigV4 or a JWT authorizer)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from handoff.config import HAND_OFF_VARIABLE
from reconciler.packaging import ENTRY_FILE, ENTRY_SOURCE
from tests.asgi import free_port
from tests.conftest import ROOT
from tests.server.conftest import write_config


@pytest.mark.parametrize("authorizer", ["AWS_IAM", "CUSTOM_JWT"])
def test_the_entry_point_serves_on_all_interfaces_for_each_authorizer(tmp_path: Path, authorizer: str) -> None:
    (tmp_path / ENTRY_FILE).write_text(ENTRY_SOURCE)
    port = free_port()
    hand_off = write_config(tmp_path, authorizer).read_text()
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),  # server/ and handoff/, as the zip holds them
        "PORT": str(port),
        "AWS_REGION": "us-east-1",
        HAND_OFF_VARIABLE: hand_off,  # what the agent_runtime kind sets; MCP_SERVER_HOST left to the entry point
    }
    log = tmp_path / "server.log"
    with log.open("wb") as errors:
        process = subprocess.Popen([sys.executable, ENTRY_FILE], cwd=tmp_path, env=env, stderr=errors)
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
    finally:
        process.terminate()
        process.wait(timeout=30)
