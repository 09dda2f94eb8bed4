"""MCP latency through mcp-proxy-for-aws 1.7.0 to the server on the sandbox's AgentCore Runtime
(proxy -> InvokeAgentRuntime -> the packaged server from S3) against the proxy to the same server
run locally (proxy -> mcp-server), in one run. The difference is the runtime hop as the sandbox
models it (SigV4 check, header allowlist, one more loopback HTTP request), not AWS's network.

Per target: N `tools/list` (answered by the server alone) and N `tools/call get_user_profile` for
a user who has not consented (server -> gateway -> -32042 -> "authorization needed"), each timed
from the MCP client through the proxy's stdio; medians and p90.

    uv run python bench/runtime_latency.py [--calls 30]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("SERVER_SOURCE", str(ROOT))  # the shipped stack packages server/ from the repository
sys.path.insert(0, str(ROOT))

from mcp import Client, StdioServerParameters  # noqa: E402

from commands.reconcile import main as reconcile_main  # noqa: E402
from demo.mcp_client import proxy_params  # noqa: E402
from sandbox.cli import DEMO_ENV  # noqa: E402
from sandbox.server import Sandbox  # noqa: E402


def apply_stack(workdir: Path) -> None:
    shutil.copy(ROOT / "stack.yaml", workdir / "stack.yaml")
    shutil.copytree(ROOT / "openapi", workdir / "openapi")
    os.chdir(workdir)
    result = CliRunner().invoke(reconcile_main, ["apply", "--auto-approve"], catch_exceptions=False)
    if result.exit_code != 0:
        raise SystemExit(result.output)


def local_server(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "server", "--config", str(workdir / "config.json"), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
            return process
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the local mcp-server did not start")


def proxy(url: str, sandbox: Sandbox, token: str) -> StdioServerParameters:
    """mcp-proxy-for-aws as `reconcile demo --runtime` starts it."""
    return proxy_params(url, region="us-east-1", token=token, aws_environ=sandbox.environ)


async def timed(calls: int, action: Callable[[], Awaitable[Any]]) -> list[float]:
    await action()  # warm: the runtime's process starts on its first invocation
    seconds = []
    for _ in range(calls):
        started = time.perf_counter()
        await action()
        seconds.append(time.perf_counter() - started)
    return seconds


async def measure(params: StdioServerParameters, calls: int) -> dict[str, list[float]]:
    async with Client(params, mode="legacy") as client:
        return {
            "tools/list": await timed(calls, client.list_tools),
            "tools/call": await timed(calls, lambda: client.call_tool("get_user_profile", {})),
        }


def summary(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    return f"p50 {statistics.median(ordered) * 1000:6.1f} ms  p90 {ordered[int(len(ordered) * 0.9) - 1] * 1000:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30)
    calls = parser.parse_args().calls
    with tempfile.TemporaryDirectory() as scratch, Sandbox() as sandbox:
        workdir = Path(scratch)
        os.environ.update(
            {
                **sandbox.environ,
                **DEMO_ENV,
                "OIDC_DISCOVERY_URL": f"{sandbox.url}/oidc/.well-known/openid-configuration",
            }
        )
        apply_stack(workdir)  # the shipped stack: its server packaged for this machine, on the sandbox's Runtime
        runtime_url = json.loads((workdir / "config.json").read_text())["runtime"]["invocation_url"]
        token = httpx.post(f"{sandbox.url}/oidc/token", json={"user": "alice", "client_id": "sandbox-demo"}).json()[
            "access_token"
        ]
        port = 18000 + os.getpid() % 1000
        server = local_server(workdir, port)
        try:
            local = anyio.run(measure, proxy(f"http://127.0.0.1:{port}/mcp", sandbox, token), calls)
            runtime = anyio.run(measure, proxy(runtime_url, sandbox, token), calls)
        finally:
            server.terminate()
            server.wait()
    for method in ("tools/list", "tools/call"):
        ratio = statistics.median(runtime[method]) / statistics.median(local[method])
        print(f"{method:10}  proxy -> local server    {summary(local[method])}")
        print(f"{method:10}  proxy -> sandbox runtime {summary(runtime[method])}   ({ratio:.2f}x)")


if __name__ == "__main__":
    main()
