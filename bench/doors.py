"""The two doors of README "Doors", measured in one run against the sandbox's AgentCore Runtime (which runs the
packaged server), with mcp-proxy-for-aws 1.7.0 as the baseline and a bearer-token client to a local
mcp-server as the floor (the simplest thing that reaches the same server and gateway).

- **First result**: from starting the client (its process, for the stdio doors) to the result of its first
  `tools/call get_user_profile` (server -> gateway -> "authorization needed", a user who has not consented),
  sign-in excluded: mcp-connect has its sign-in stored, the OAuth client its tokens. Medians of --starts.
- **Per call**: N `tools/call` in one session, p50 and p90: what each door adds to every call.

The SigV4 door (mcp-connect, mcp-proxy-for-aws) is measured on the shipped stack; the stack is then applied
again with the runtime's CUSTOM_JWT authorizer (an update in place) for the OAuth door.

    uv run python bench/doors.py [--calls 30] [--starts 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx2

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("SERVER_SOURCE", str(ROOT))
sys.path.insert(0, str(ROOT))

from mcp import Client, StdioServerParameters  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402

from bench.runtime_latency import apply_stack, local_server, summary, timed  # noqa: E402
from commands.reconcile import main as reconcile_main  # noqa: E402
from demo.doors import LOOPBACK_REDIRECT, OAuthDoor, connect_login, connect_params  # noqa: E402
from demo.mcp_client import proxy_params  # noqa: E402
from sandbox.cli import DEMO_ENV  # noqa: E402
from sandbox.oidc import API_SCOPES  # noqa: E402
from sandbox.server import Sandbox  # noqa: E402

Opener = Callable[[], Any]
"""Makes the MCP client's transport (a stdio process, or an HTTP client) for one session."""


def stdio(params: StdioServerParameters) -> Opener:
    return lambda: params


def http(url: str, auth: Callable[[], httpx2.Auth] | None = None, token: str | None = None) -> Opener:
    def open_transport() -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx2.AsyncClient(auth=auth() if auth else None, headers=headers, timeout=60)
        return streamable_http_client(url, http_client=client)

    return open_transport


async def first_result(opener: Opener) -> float:
    started = time.perf_counter()
    async with Client(opener(), mode="legacy") as client:
        await client.call_tool("get_user_profile", {})
    return time.perf_counter() - started


async def per_call(opener: Opener, calls: int) -> list[float]:
    async with Client(opener(), mode="legacy") as client:
        return await timed(calls, lambda: client.call_tool("get_user_profile", {}))


def measure(opener: Opener, *, calls: int, starts: int) -> tuple[list[float], list[float]]:
    firsts = [anyio.run(first_result, opener) for _ in range(starts)]
    return firsts, anyio.run(per_call, opener, calls)


def reconcile(*args: str) -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(reconcile_main, list(args), catch_exceptions=False)
    if result.exit_code != 0:
        raise SystemExit(result.output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--starts", type=int, default=5)
    options = parser.parse_args()
    results: dict[str, tuple[list[float], list[float]]] = {}
    with tempfile.TemporaryDirectory() as scratch, Sandbox() as sandbox:
        workdir = Path(scratch)
        os.environ.update(
            {
                **sandbox.environ,
                **DEMO_ENV,
                "OIDC_DISCOVERY_URL": f"{sandbox.url}/oidc/.well-known/openid-configuration",
                "SANDBOX_OIDC_REDIRECT_URIS": LOOPBACK_REDIRECT,
            }
        )
        apply_stack(workdir)
        config = workdir / "config.json"
        runtime_url = json.loads(config.read_text())["runtime"]["invocation_url"]
        token = connect_login(config, workdir, "alice")  # sign-in, excluded from every figure
        port = 18500 + os.getpid() % 1000
        server = local_server(workdir, port)
        try:
            openers = {
                "floor: bearer -> local server": http(f"http://127.0.0.1:{port}/mcp", token=token),
                "mcp-proxy-for-aws -> runtime": stdio(
                    proxy_params(runtime_url, region="us-east-1", token=token, aws_environ=sandbox.environ)
                ),
                "mcp-connect -> runtime (SigV4 door)": stdio(
                    StdioServerParameters(
                        command=sys.executable,
                        args=["-m", "connect", "--config", str(config)],
                        env=connect_params(config, workdir, sandbox.environ)[2],
                    )
                ),
            }
            for name, opener in openers.items():
                results[name] = measure(opener, calls=options.calls, starts=options.starts)
        finally:
            server.terminate()
            server.wait()
        os.environ.update({"RUNTIME_AUTHORIZER": "CUSTOM_JWT", "OIDC_SCOPES": API_SCOPES})
        os.environ.pop("OIDC_CLIENT_ID")
        reconcile("apply", "--auto-approve")  # the runtime's door changes in place
        door = OAuthDoor(runtime_url, "alice")
        anyio.run(first_result, http(runtime_url, auth=door.provider))  # registration and sign-in, excluded
        results["MCP client's own OAuth -> runtime (OAuth door)"] = measure(
            http(runtime_url, auth=door.provider), calls=options.calls, starts=options.starts
        )
    floor_first = statistics.median(results["floor: bearer -> local server"][0])
    floor_call = statistics.median(results["floor: bearer -> local server"][1])
    proxy_call = statistics.median(results["mcp-proxy-for-aws -> runtime"][1])
    print(f"{'':48} first result (median of {options.starts})   per call ({options.calls} calls)")
    for name, (firsts, calls) in results.items():
        first, call = statistics.median(firsts), statistics.median(calls)
        print(
            f"{name:48} {first * 1000:7.0f} ms ({first / floor_first:4.1f}x floor)   "
            f"{summary(calls)} ({call / floor_call:4.2f}x floor, {call / proxy_call:4.2f}x proxy)"
        )
    connect_call = statistics.median(results["mcp-connect -> runtime (SigV4 door)"][1])
    print(f"mcp-connect adds {(connect_call - proxy_call) * 1000:+.1f} ms per call against mcp-proxy-for-aws alone")


if __name__ == "__main__":
    main()
