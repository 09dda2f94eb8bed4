"""The README's first command, run as CI runs it."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def test_demo_command_runs_the_whole_mission() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = subprocess.run(
        [sys.executable, "-m", "commands", "demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "Authorization needed." in out and "/identities/oauth2/authorize?request_uri=" in out
    assert "linked GitHub for alice" in out
    assert "alice (Alice Liddell)" in out and "alice/alice-project-" in out
    assert "Destroy complete: 6 resource(s) changed." in out and "Demo complete." in out
    assert not (ROOT / "config.json").exists()


def test_demo_keep_serves_until_ctrl_c_then_cleans_up() -> None:
    import signal
    import threading
    import time

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "commands", "demo", "--keep"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + 300
    for line in proc.stdout:
        seen.append(line)
        if "Everything stays up until Ctrl-C" in line or time.monotonic() > deadline:
            break
    assert "Everything stays up until Ctrl-C" in "".join(seen), "".join(seen)[-3000:]
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    # Read the rest through the same buffered stream: communicate(timeout=...) reads the raw pipe and
    # would skip lines the loop above already buffered.
    watchdog = threading.Timer(120, proc.kill)
    watchdog.start()
    try:
        rest = proc.stdout.read()
        proc.wait()
    finally:
        watchdog.cancel()
        proc.stdout.close()
    output = "".join(seen) + rest
    assert proc.returncode == 0, output[-3000:]
    assert "mcp-proxy-for-aws@1.7.0" in output and '"mcpServers"' in output
    assert "Destroy complete" in rest and "Demo complete." in rest
