"""The README's first command, run as CI runs it."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def test_demo_command_runs_the_whole_mission() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "Authorization needed." in out and "/identities/oauth2/authorize?request_uri=" in out
    assert "linked GitHub for alice" in out
    assert "alice (Alice Liddell)" in out and "alice/alice-project-" in out
    assert "Destroy complete: 6 resource(s) changed." in out and "Demo complete." in out
    assert not (ROOT / "config.json").exists()
