"""Load from `wrk` (a C load generator, so the figures measure the servers, not a Python client):
one POST body and header set per target, fixed connections, `--latency` percentiles. Used by
bench/server_overhead.py."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = "wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu; as root), then run the bench again"
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    """Non-2xx answers plus socket errors: any makes the run invalid."""

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def require_wrk() -> str:
    """wrk's path; exits with how to install it. No fallback: a Python load generator would measure itself."""
    path = shutil.which("wrk")
    if path is None:
        sys.exit(INSTALL_HINT)
    return path


def lua_script(body: bytes, headers: dict[str, str]) -> str:
    """A wrk script POSTing `body` with `headers` on every request (set once, before the threads start)."""
    text = body.decode()
    if "]==]" in text:
        raise ValueError("body contains the Lua long-bracket terminator")
    lines = ['wrk.method = "POST"', f"wrk.body = [==[{text}]==]"]
    lines += [f'wrk.headers["{name}"] = [==[{value}]==]' for name, value in headers.items()]
    return "\n".join(lines) + "\n"


def run_wrk(url: str, script: str, *, connections: int, seconds: float) -> WrkResult:
    threads = 1 if connections == 1 else 2
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        Path(lua.name).write_text(script)
        args = [
            require_wrk(),
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            "-s",
            lua.name,
            url,
        ]
        done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


def parse_wrk(out: str) -> WrkResult:
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    if done is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    seconds = float(done.group(2)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[done.group(3)]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return WrkResult(int(done.group(1)), seconds, _percentile(out, 50), _percentile(out, 99), errors)


def _percentile(out: str, pct: int) -> float:
    found = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"wrk printed no {pct}th percentile (run with --latency):\n{out}")
    return float(found.group(1)) * _UNITS[found.group(2)]
