"""What our MCP server adds to a tool call, measured against calling the gateway directly.

In one run, over loopback only:
1. a minimal gateway that answers instantly (bench/minimal_gateway.py): direct JSON-RPC tools/call
   vs the same call through `mcp-server` (MCP tools/call -> gateway) - the server's own cost;
2. the sandbox's gateway with a consented user (real JWT check, token vault, GitHub stand-in).
Each in separate processes (gateway, server, this load generator), on this 2-core machine.

    uv run python bench/server_overhead.py [--calls 400]

Targets (issue #4): p50 added latency <= 3 ms; throughput at 16 clients >= 60% of direct; RSS <= 120 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
MCP_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def process(args: list[str], ready_url: str, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        args, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_http(ready_url)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def mcp_server(config: str, port: int) -> Any:
    """`mcp-server` as users run it, in its own process."""
    args = [
        sys.executable,
        "-m",
        "server",
        "--config",
        config,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    return process(args, f"http://127.0.0.1:{port}/healthz")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def load(
    url: str, body: dict[str, Any], headers: dict[str, str], *, calls: int, clients: int
) -> tuple[list[float], float]:
    """Latencies (s) of `calls` POSTs spread over `clients` concurrent clients, and the wall time."""
    latencies: list[float] = []
    payload = json.dumps(body).encode()
    queue = iter(range(calls))

    async def client() -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            for _ in queue:
                start = time.perf_counter()
                response = await http.post(url, content=payload, headers=headers)
                latencies.append(time.perf_counter() - start)
                answer = response.json()
                assert response.status_code == 200 and "error" not in answer, response.text
                assert answer["result"].get("isError") is not True, (
                    response.text
                )  # a failed tool call is not a data point

    async with httpx.AsyncClient() as warm:
        for _ in range(20):
            await warm.post(url, content=payload, headers=headers)
    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, time.perf_counter() - start


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


def compare(
    label: str,
    direct: tuple[str, dict[str, Any], dict[str, str]],
    ours: tuple[str, dict[str, Any], dict[str, str]],
    calls: int,
) -> dict[str, float]:
    print(f"\n== {label}")
    figures: dict[str, float] = {}
    for clients in (1, 16):
        d_lat, d_wall = asyncio.run(load(*direct, calls=calls, clients=clients))
        o_lat, o_wall = asyncio.run(load(*ours, calls=calls, clients=clients))
        d_tput, o_tput = calls / d_wall, calls / o_wall
        print(
            f"  {clients:2d} client(s): direct p50 {pct(d_lat, 50):6.2f} ms p90 {pct(d_lat, 90):6.2f} p99 {pct(d_lat, 99):6.2f} | "
            f"{d_tput:7.1f} calls/s"
        )
        print(
            f"               ours   p50 {pct(o_lat, 50):6.2f} ms p90 {pct(o_lat, 90):6.2f} p99 {pct(o_lat, 99):6.2f} | "
            f"{o_tput:7.1f} calls/s  (throughput ratio {o_tput / d_tput:.2f})"
        )
        figures[f"added_p50_ms_{clients}"] = pct(o_lat, 50) - pct(d_lat, 50)
        figures[f"throughput_ratio_{clients}"] = o_tput / d_tput
    print(f"  added p50 latency at 1 client: {figures['added_p50_ms_1']:.2f} ms")
    return figures


def tool_call(name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments or {}}}


def minimal_run(calls: int, workdir: Path) -> dict[str, float]:
    gateway_port, server_port = free_port(), free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}/mcp"
    config = workdir / "config.json"
    config.write_text(
        json.dumps(
            {
                "stack": "bench",
                "region": "us-east-1",
                "gateway": {"url": gateway_url, "authorizer": {"type": "CUSTOM_JWT"}},
                "tools": {
                    "getAuthenticatedUser": "GitHubTarget___getAuthenticatedUser",
                    "listUserRepositories": "GitHubTarget___listUserRepositories",
                },
            }
        )
    )
    token = {"Authorization": "Bearer bench-token"}
    with (
        process([sys.executable, "bench/minimal_gateway.py", str(gateway_port)], f"http://127.0.0.1:{gateway_port}/"),
        mcp_server(str(config), server_port) as server,
    ):
        figures = compare(
            "minimal instant gateway (our server's own cost)",
            (gateway_url, tool_call("GitHubTarget___getAuthenticatedUser"), {**MCP_HEADERS, **token}),
            (f"http://127.0.0.1:{server_port}/mcp", tool_call("get_user_profile"), {**MCP_HEADERS, **token}),
            calls,
        )
        figures["server_peak_rss_mb"] = peak_rss_mb(server.pid)
    print(f"  mcp-server peak RSS: {figures['server_peak_rss_mb']:.1f} MB")
    return figures


def sandbox_run(calls: int, workdir: Path) -> dict[str, float]:
    from demo.browser import approve_on_github, session_id_of
    from sandbox.cli import DEMO_ENV

    sandbox_port, server_port = free_port(), free_port()
    base = f"http://127.0.0.1:{sandbox_port}"
    env = {
        "AWS_ENDPOINT_URL": base,
        "AWS_ACCESS_KEY_ID": "sandbox",
        "AWS_SECRET_ACCESS_KEY": "sandbox-secret",
        "AWS_REGION": "us-east-1",
        "OIDC_DISCOVERY_URL": f"{base}/oidc/.well-known/openid-configuration",
        **DEMO_ENV,
    }
    os.environ.update(env)
    for name in ("stack.yaml", "openapi"):
        (workdir / name).symlink_to(ROOT / name)
    with process(
        [sys.executable, "-m", "reconciler", "sandbox", "--port", str(sandbox_port)], f"{base}/__sandbox/health"
    ):
        applied = subprocess.run(
            [sys.executable, "-m", "reconciler", "apply", "--auto-approve"], cwd=workdir, capture_output=True, text=True
        )
        if applied.returncode != 0:
            raise RuntimeError(f"reconcile apply failed:\n{applied.stderr[-2000:]}")
        config = json.loads((workdir / "config.json").read_text())
        token = httpx.post(f"{base}/oidc/token", json={"user": "alice"}).json()["access_token"]
        headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}"}
        gateway_call = tool_call("GitHubTarget___getAuthenticatedUser")
        first = httpx.post(config["gateway"]["url"], json=gateway_call, headers=headers).json()
        session_id = session_id_of(approve_on_github(first["error"]["data"]["elicitations"][0]["url"], login="alice"))
        httpx.post(
            f"{base}/identities/CompleteResourceTokenAuth",
            json={"sessionUri": session_id, "userIdentifier": {"userToken": token}},
        ).raise_for_status()
        with mcp_server(str(workdir / "config.json"), server_port):
            return compare(
                "sandbox gateway (JWT check, token vault, GitHub stand-in)",
                (config["gateway"]["url"], gateway_call, headers),
                (f"http://127.0.0.1:{server_port}/mcp", tool_call("get_user_profile"), headers),
                calls // 2,
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=400)
    calls = parser.parse_args().calls
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        minimal = minimal_run(calls, Path(one))
        realistic = sandbox_run(calls, Path(two))
    ok = lambda met: "met" if met else "NOT met"  # noqa: E731
    print(
        "\nRESULT "
        f"added_p50_ms={minimal['added_p50_ms_1']:.2f} ({ok(minimal['added_p50_ms_1'] <= 3)}, target <= 3) "
        f"throughput_ratio_16={minimal['throughput_ratio_16']:.2f} ({ok(minimal['throughput_ratio_16'] >= 0.6)}, target >= 0.60) "
        f"peak_rss_mb={minimal['server_peak_rss_mb']:.1f} ({ok(minimal['server_peak_rss_mb'] <= 120)}, target <= 120) "
        f"sandbox_added_p50_ms={realistic['added_p50_ms_1']:.2f} sandbox_throughput_ratio_16={realistic['throughput_ratio_16']:.2f}"
    )


if __name__ == "__main__":
    main()
