"""Colour on a terminal only: a pty gets ANSI colours; a pipe, NO_COLOR or --no-color get none."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.server import Sandbox

ANSI = "\x1b["


def plan_output(*args: str, tty: bool, env: dict[str, str]) -> str:
    command = [sys.executable, "-m", "commands", "plan", *args]
    if not tty:
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=True).stdout
    leader, follower = pty.openpty()
    with subprocess.Popen(command, env=env, stdout=follower, stderr=subprocess.DEVNULL) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=120) == 0
    os.close(leader)
    return b"".join(chunks).decode()


@pytest.fixture
def env(sandbox: Sandbox, workdir: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return {**environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}


def test_a_terminal_gets_colour(env: dict[str, str]) -> None:
    out = plan_output(tty=True, env=env)
    assert ANSI in out and "will be created" in out


@pytest.mark.parametrize(
    ("args", "tty", "extra"),
    [((), False, {}), ((), True, {"NO_COLOR": "1"}), (("--no-color",), True, {})],
    ids=["pipe", "NO_COLOR", "--no-color"],
)
def test_no_colour_otherwise(env: dict[str, str], args: tuple[str, ...], tty: bool, extra: dict[str, str]) -> None:
    out = plan_output(*args, tty=tty, env={**env, **extra})
    assert "will be created" in out and ANSI not in out
