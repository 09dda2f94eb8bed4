"""What mcp-server costs per tool call, against the gateway called directly and against the floor
(bench/passthrough_floor.py: an ASGI app that only forwards the body), all in one run.

Load comes from `wrk` (apt-get install -y wrk; the bench refuses to run without it) against the
instant gateway (bench/minimal_gateway.py). Each target runs at 1 and 16 connections for --seconds
(at least 2000 calls each), three rounds; each process's CPU per call comes from /proc/PID/stat.

    uv run python bench/server_overhead.py [--seconds 5] [--rounds 3]

Targets (issue 15): server CPU per tool call <= 400 us at 16 clients; added p50 at 1 client <= 0.5 ms;
RSS <= 80 MB; with --workers 2, p50 at 1 client within 2x of one worker.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
from procstat import cpu_seconds, family, rss_mb  # noqa: E402
from wrk_load import lua_script, require_wrk, run_wrk  # noqa: E402

from handoff.config import AuthorizerConfig, GatewayConfig, HandOff  # noqa: E402
from handoff.config import write_config as save_config  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
    "Authorization": "Bearer bench-token",
}
CLIENTS = (1, 16)
SEED = ("getAuthenticatedUser", "listUserRepositories")
TOOLSET = "full"
"""`--toolset`: full (every operation of openapi/github.yaml, issue 23) or seed (the two tools before it)."""
LIST_TOOLS = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}).encode()
MIN_CALLS = 2000


@dataclass
class Target:
    name: str
    url: str
    body: bytes
    pid: int = 0
    figures: dict[str, list[float]] = field(default_factory=dict)

    def add(self, key: str, value: float) -> None:
        self.figures.setdefault(key, []).append(value)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up") from None
            time.sleep(0.1)


@contextmanager
def process(args: list[str], ready_url: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_http(ready_url)
        yield proc
    except BaseException:
        proc.terminate()
        print((proc.communicate(timeout=10)[1] or b"").decode()[-2000:], file=sys.stderr)
        raise
    else:
        proc.terminate()
        proc.wait(timeout=10)


def call_once(target: Target) -> dict[str, object]:
    """One call before timing: the answer must be a successful tool result, or the figures mean nothing."""
    request = urllib.request.Request(target.url, data=target.body, headers=HEADERS, method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        message: dict[str, object] = json.loads(answer.read())
    result = message.get("result")
    if not isinstance(result, dict) or result.get("isError"):
        raise RuntimeError(f"{target.name}: the call failed: {message}")
    return message


def measure(target: Target, gateway_pid: int, seconds: float) -> None:
    script = lua_script(target.body, HEADERS)
    run_wrk(target.url, script, connections=16, seconds=1)  # warm: pools filled, code paths hot
    for clients in CLIENTS:
        pids = family(target.pid)
        cpu_before, gateway_before = cpu_seconds(pids), cpu_seconds([gateway_pid])
        result = run_wrk(target.url, script, connections=clients, seconds=seconds)
        cpu, gateway_cpu = cpu_seconds(pids) - cpu_before, cpu_seconds([gateway_pid]) - gateway_before
        if result.errors:
            raise RuntimeError(f"{target.name}: {result.errors} failed requests at {clients} clients")
        if result.requests < MIN_CALLS:
            raise RuntimeError(f"{target.name}: only {result.requests} calls at {clients} clients: raise --seconds")
        target.add(f"cpu_us_{clients}", cpu / result.requests * 1e6)
        target.add(f"gateway_cpu_us_{clients}", gateway_cpu / result.requests * 1e6)
        target.add(f"p50_{clients}", result.p50_ms)
        target.add(f"p99_{clients}", result.p99_ms)
        target.add(f"rps_{clients}", result.per_second)
        target.add(f"calls_{clients}", result.requests)
    target.add("rss_mb", rss_mb(family(target.pid)))


def write_config(workdir: Path, gateway_url: str) -> Path:
    """config.json as `reconcile apply` writes it (handoff.config), for a gateway that answers instantly."""
    gateway = GatewayConfig(
        id="gw", arn="arn:aws:bench", url=gateway_url, name="bench", authorizer=AuthorizerConfig(type="CUSTOM_JWT")
    )
    import yaml

    from reconciler.spec.openapi_check import operation_ids, operation_presentations

    document = yaml.safe_load((ROOT / "openapi" / "github.yaml").read_text())
    operations = operation_presentations(document)
    if TOOLSET == "seed":
        operations = {op: how for op, how in operations.items() if op in SEED}
    tools = {op: f"GitHubTarget___{op}" for op in operation_ids(document) if op in operations}
    hand_off = HandOff(
        stack="bench",
        region="us-east-1",
        callback_url="http://127.0.0.1:9/oauth/callback",
        gateway=gateway,
        tools=tools,
        operations=operations,
    )
    path = workdir / "config.json"
    save_config(path, hand_off)
    return path


def server_args(config: Path, port: int, workers: int) -> list[str]:
    args = [sys.executable, "-m", "server", "--config", str(config), "--port", str(port), "--log-level", "warning"]
    return args + (["--workers", str(workers)] if workers > 1 else [])


def supports_workers() -> bool:
    shown = subprocess.run([sys.executable, "-m", "server", "--help"], cwd=ROOT, capture_output=True, text=True)
    return "--workers" in shown.stdout


def tool_call(name: str) -> bytes:
    return json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": {}}}
    ).encode()


def run(seconds: float, rounds: int, workdir: Path) -> list[Target]:
    gateway_port, floor_port = free_port(), free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}/mcp"
    config = write_config(workdir, gateway_url)
    direct = Target("gateway direct", gateway_url, tool_call("GitHubTarget___getAuthenticatedUser"))
    floor = Target("ASGI passthrough floor", f"http://127.0.0.1:{floor_port}/mcp", direct.body)
    servers = [(Target("mcp-server", "", tool_call("get_user_profile")), 1)]
    if supports_workers():
        servers.append((Target("mcp-server --workers 2", "", tool_call("get_user_profile")), 2))
    servers.append((Target("mcp-server tools/list", "", LIST_TOOLS), 1))
    targets = [direct, floor, *(t for t, _ in servers)]
    with (
        process(
            [sys.executable, "bench/minimal_gateway.py", str(gateway_port), TOOLSET],
            f"http://127.0.0.1:{gateway_port}/",
        ) as gw,
        process([sys.executable, "bench/passthrough_floor.py", str(floor_port), gateway_url], floor.url) as fl,
    ):
        direct.pid, floor.pid = gw.pid, fl.pid
        for number in range(rounds):
            print(f"round {number + 1}/{rounds} (load average {format_load()})", file=sys.stderr)
            for target in (direct, floor):
                call_once(target)
                measure(target, gw.pid, seconds)
            for target, workers in servers:
                port = free_port()
                target.url = f"http://127.0.0.1:{port}/mcp"
                with process(server_args(config, port, workers), f"http://127.0.0.1:{port}/healthz") as proc:
                    target.pid = proc.pid
                    call_once(Target("list first, as clients do", target.url, LIST_TOOLS))
                    call_once(target)
                    measure(target, gw.pid, seconds)
    return targets


def format_load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def spread(values: list[float], fmt: str = "{:.0f}") -> str:
    """min / median / max over the rounds."""
    return "/".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def report(targets: list[Target], load_before: str) -> None:
    direct, floor, *servers = targets
    print(
        f"\nmachine: {os.cpu_count()} CPUs ({cpu_model()}), {platform.platform()}, Python {platform.python_version()}"
    )
    print(f"load average before: {load_before}; after: {format_load()}")
    print(
        "Other processes share this machine, so latency and calls/s move with their load; CPU per call "
        "(utime+stime from /proc, per process) counts only the process's own work and is the robust figure."
    )
    print("figures: min/median/max over the rounds; added = the target's percentile minus the gateway's own")
    print("in the same round (p99s are noisy under shared load, so each is also shown as it was)\n")
    print(f"{'target':28} {'CPU us/call 1c':>16} {'CPU us/call 16c':>16} {'calls/s 16c':>18} {'RSS MB':>10}")
    for target in targets:
        rss = "-" if target is direct else spread(target.figures["rss_mb"])
        print(
            f"{target.name:28} {spread(target.figures['cpu_us_1']):>16} {spread(target.figures['cpu_us_16']):>16} "
            f"{spread(target.figures['rps_16']):>18} {rss:>10}"
        )
    print(f"\n{'latency, ms':28}", *(f"{c:>15}" for c in LATENCY_COLUMNS))
    for target in targets:
        cells = [latency_cell(target, direct, key) for key in LATENCY_KEYS]
        print(f"{target.name:28}", *(f"{c:>15}" for c in cells))
    print(f"\ncalls per run (min): {min(min(t.figures['calls_1'] + t.figures['calls_16']) for t in targets):.0f}")
    for target in servers:
        print_ratios(target, floor, direct)
    judge(servers, direct)


LATENCY_KEYS = ("p50_1", "+p50_1", "p99_1", "+p99_1", "p50_16", "+p50_16", "p99_16", "+p99_16")
LATENCY_COLUMNS = ("p50 1c", "added p50 1c", "p99 1c", "added p99 1c", "p50 16c", "added p50 16c", "p99 16c",
                   "added p99 16c")  # fmt: skip


def latency_cell(target: Target, direct: Target, key: str) -> str:
    if not key.startswith("+"):
        return spread(target.figures[key], "{:.2f}")
    if target is direct:
        return "-"
    pairs = zip(target.figures[key[1:]], direct.figures[key[1:]], strict=True)
    return spread([t - d for t, d in pairs], "{:.2f}")


def median(target: Target, key: str) -> float:
    return statistics.median(target.figures[key])


def added_p50(target: Target, direct: Target, clients: int) -> float:
    pairs = zip(target.figures[f"p50_{clients}"], direct.figures[f"p50_{clients}"], strict=True)
    return statistics.median(t - d for t, d in pairs)


def print_ratios(target: Target, floor: Target, direct: Target) -> None:
    print(
        f"{target.name} vs the floor (medians): CPU/call {median(target, 'cpu_us_1') / median(floor, 'cpu_us_1'):.2f}x "
        f"(1c) {median(target, 'cpu_us_16') / median(floor, 'cpu_us_16'):.2f}x (16c); "
        f"added p50 {added_p50(target, direct, 1) / added_p50(floor, direct, 1):.2f}x (1c); "
        f"calls/s {median(target, 'rps_16') / median(floor, 'rps_16'):.2f}x (16c)"
    )


def judge(servers: list[Target], direct: Target) -> None:
    ok = lambda met: "met" if met else "NOT met"  # noqa: E731
    one = servers[0]
    cpu, p50, rss = median(one, "cpu_us_16"), added_p50(one, direct, 1), median(one, "rss_mb")
    line = (
        f"\nRESULT server_cpu_us_per_call_16={cpu:.0f} ({ok(cpu <= 400)}, target <= 400) "
        f"added_p50_ms_1={p50:.2f} ({ok(p50 <= 0.5)}, target <= 0.5) rss_mb={rss:.0f} ({ok(rss <= 80)}, target <= 80)"
    )
    if len(servers) > 1:
        two = servers[1]
        ratio = median(two, "p50_1") / median(one, "p50_1")
        line += f" workers2_p50_1_ratio={ratio:.2f} ({ok(ratio <= 2)}, target <= 2)"
    else:
        line += " workers: mcp-server has no --workers option (not measured)"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="wrk duration per target and client count")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--toolset", choices=("full", "seed"), default="full")
    options = parser.parse_args()
    global TOOLSET
    TOOLSET = options.toolset
    require_wrk()
    load_before = format_load()
    with tempfile.TemporaryDirectory() as workdir:
        targets = run(options.seconds, options.rounds, Path(workdir))
    report(targets, load_before)


if __name__ == "__main__":
    main()
