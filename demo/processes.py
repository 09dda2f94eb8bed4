"""Child processes of the demo (mcp-server, oauth-callback) and the ports they serve on.

A port is reserved when the demo picks it (before `apply` writes the callback URL into the stack)
and held until the demo's own child answers on it. Otherwise a second demo (or the e2e test of the
demo) started meanwhile picks the same free port, its child fails to bind, and its readiness check
is answered by the first demo's server: its MCP calls then reach another sandbox (a rejected token)
or a server that stops under it (an ExceptionGroup from the MCP client).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from demo.errors import StepFailed

HOST = "127.0.0.1"
HOLD_WHILE_CHILD_BINDS = sys.platform.startswith("linux")
"""Linux lets the child (uvicorn sets SO_REUSEADDR) bind a port our non-listening socket holds with
SO_REUSEADDR, while plain binds (another demo choosing a port) still fail. Elsewhere the demo lets
go of the port just before starting the child."""


@dataclass
class ReservedPort:
    number: int
    holder: socket.socket

    def release(self) -> None:
        self.holder.close()


def reserve_port(preferred: int) -> ReservedPort:
    """`preferred` on 127.0.0.1 if nothing is bound to it, else a free one; held until `release`."""
    for port in (preferred, 0):
        holder = socket.socket()
        try:
            holder.bind((HOST, port))  # without SO_REUSEADDR: fails if any socket holds the port
        except OSError:
            holder.close()
            continue
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # now our own child may bind it too
        return ReservedPort(int(holder.getsockname()[1]), holder)
    raise StepFailed(f"no free port on {HOST}")


@contextmanager
def child(
    name: str, args: list[str], *, port: ReservedPort, log: Path, timeout: float = 120
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `python -m <args>`, wait until it answers /healthz on `port`, stop it on exit (also on Ctrl-C)."""
    if not HOLD_WHILE_CHILD_BINDS:
        port.release()
    with log.open("wb") as output:
        proc = subprocess.Popen([sys.executable, "-m", *args], stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_healthy(name, proc, f"http://{HOST}:{port.number}/healthz", timeout)
            port.release()
            yield proc
        finally:
            stop(proc)


def wait_healthy(name: str, proc: subprocess.Popen[bytes], url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StepFailed(f"{name} exited with {proc.returncode} before answering {url}")
        try:
            if httpx.get(url, timeout=2).status_code == 200 and proc.poll() is None:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise StepFailed(f"{name} did not answer {url} within {timeout:.0f}s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
