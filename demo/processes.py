"""Child processes of the demo (mcp-server, oauth-callback), stopped whatever happens."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


class StepFailed(Exception):
    pass


@contextmanager
def child(
    name: str, args: list[str], *, health_url: str, log: Path, timeout: float = 60
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `python -m <args>`, wait until `health_url` answers, stop it on exit (also on Ctrl-C)."""
    with log.open("wb") as output:
        proc = subprocess.Popen([sys.executable, "-m", *args], stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(name, proc, health_url, log, timeout)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_healthy(name: str, proc: subprocess.Popen[bytes], url: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StepFailed(f"{name} exited with {proc.returncode}: {log.read_text(errors='replace')[-800:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise StepFailed(f"{name} did not answer {url} within {timeout:.0f}s (log: {log})")
