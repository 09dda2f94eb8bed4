"""What mcp-server costs per tool call and per tools/list, against the gateway called directly and
against the floor (bench/passthrough_floor.py: an ASGI app that only forwards the body), and with the
full generated toolset (issue 23) against the same server offering only the two curated tools (the
baseline: its gateway lists only getAuthenticatedUser and listUserRepositories) and against the server's
code before issue 23 (--before, default c076f59^, taken with `git archive` into a temporary directory),
all in one run.

Load comes from `wrk` (apt-get install -y wrk; the bench refuses to run without it) against the
instant gateway (bench/minimal_gateway.py: every operation of openapi/github.yaml at /mcp, the two
curated ones at /seed/mcp). Each target runs at 1 and 16 connections for --seconds (at least 2000
calls each), three rounds, the servers (full, two, before) taking turns to go first; each process's
CPU per call comes from /proc/PID/stat. Every server process first lists its tools and calls each
listed tool once (as a client may), so its RSS, taken after the load, is that of a server whose whole
toolset was listed and called. The two-tool server still runs issue 23's code (one gateway listing per
process, the listing middleware on each tools/list); --before measures the code without it. The full
toolset offers writes too (MCP_ALLOW_WRITES=1: every operation, the largest listing); --read-only offers
what a default deployment does.

    uv run python bench/server_overhead.py [--seconds 8] [--rounds 3] [--read-only] [--before REV]

Targets (issue 15, kept by issue 23 with the full toolset): server CPU per tool call <= 400 us at 16
clients; added p50 at 1 client <= 0.5 ms; RSS <= 80 MB; with --workers 2, p50 at 1 client within 2x of
one worker.
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

from handoff.config import AuthorizerConfig, GatewayConfig, HandOff, OperationConfig  # noqa: E402
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
FULL, TWO, BEFORE = "full", "two", "before"
"""Servers: today's with every operation of openapi/github.yaml (issue 23); today's offering only the two curated
tools; the server's code before issue 23 (--before), which had only those two."""
BEFORE_REV = "c076f59^"
"""The commit before issue 23's server change (c076f59 'Every gateway tool is a tool of mcp-server')."""
SEED_PATH = "/seed/mcp"
"""Where bench/minimal_gateway.py lists only the two curated operations."""
READ_ONLY = False
"""--read-only: the full server offers only reads (a default deployment), not every operation."""
GENERATED: tuple[str, dict[str, object]] = ("get_user", {"username": "alice"})
"""A generated tool (no Python code of its own) whose gateway answer, a profile, is the curated call's."""
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
def process(
    args: list[str], ready_url: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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


def list_and_call_every_tool(url: str) -> tuple[int, int]:
    """tools/list, then each listed tool once (arguments {}: the gateway checks them, the instant one does not),
    as a client may: the process then holds every tool it can build. The tools listed, and the listing's size."""
    listed = call_once(Target("list first, as clients do", url, LIST_TOOLS))
    tools = listed["result"]["tools"]  # type: ignore[index]
    for tool in tools:
        call_once(Target(f"tools/call {tool['name']}", url, tool_call(tool["name"])))
    return len(tools), len(json.dumps(listed).encode())


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


def write_config(workdir: Path, gateway_url: str, toolset: str) -> Path:
    """config.json as `reconcile apply` writes it (handoff.config), for a gateway that answers instantly; with
    the two curated operations only (`two`), as the hand-off held before issue 23."""
    gateway = GatewayConfig(
        id="gw", arn="arn:aws:bench", url=gateway_url, name="bench", authorizer=AuthorizerConfig(type="CUSTOM_JWT")
    )
    import yaml

    from reconciler.spec.openapi_check import operation_ids, operation_presentations

    document = yaml.safe_load((ROOT / "openapi" / "github.yaml").read_text())
    operations = operation_presentations(document)
    if toolset == TWO:
        operations = {op: how for op, how in operations.items() if op in SEED}
    tools = {op: f"GitHubTarget___{op}" for op in operation_ids(document) if op in operations}
    hand_off = HandOff(
        stack="bench",
        region="us-east-1",
        callback_url="http://127.0.0.1:9/oauth/callback",
        gateway=gateway,
        tools=tools,
        operations={op: OperationConfig.model_validate(how) for op, how in operations.items()},
    )
    path = workdir / f"config-{toolset}.json"
    save_config(path, hand_off)
    return path


def server_args(config: Path, port: int, workers: int) -> list[str]:
    args = [sys.executable, "-m", "server", "--config", str(config), "--port", str(port), "--log-level", "warning"]
    return args + (["--workers", str(workers)] if workers > 1 else [])


def checkout_before(rev: str, workdir: Path, two_config: Path) -> tuple[Path, Path] | None:
    """server/ and handoff/ as they were at `rev`, in `workdir`, and the two-tool config.json without what that
    code cannot read (`operations`, added by issue 23): (directory to run `-m server` in, config). None when git
    cannot give `rev` (a shallow clone, an archive): the run goes on without that target."""
    source = workdir / "before"
    source.mkdir()
    archive = subprocess.run(["git", "archive", rev, "server", "handoff"], cwd=ROOT, capture_output=True)
    if archive.returncode != 0:
        print(f"--before {rev}: {archive.stderr.decode().strip()} (not measured)", file=sys.stderr)
        return None
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive.stdout, check=True)
    document = json.loads(two_config.read_text())
    document.pop("operations", None)
    config = workdir / "config-before.json"
    config.write_text(json.dumps(document))
    return source, config


def supports_workers() -> bool:
    shown = subprocess.run([sys.executable, "-m", "server", "--help"], cwd=ROOT, capture_output=True, text=True)
    return "--workers" in shown.stdout


def tool_call(name: str, arguments: dict[str, object] | None = None) -> bytes:
    return json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments or {}}}
    ).encode()


@dataclass
class Targets:
    """Every target of a run, by role: the report compares ours with the baseline and the floor."""

    direct: Target
    floor: Target
    direct_list: Target
    floor_list: Target
    call: dict[str, Target]
    """server (FULL, TWO, BEFORE) -> mcp-server answering get_user_profile (the curated call the targets have
    always used)."""
    generated: Target
    """The full server answering a generated tool (GENERATED)."""
    listing: dict[str, Target]
    """server -> mcp-server answering tools/list."""
    workers: Target | None
    listed: dict[str, tuple[int, int]] = field(default_factory=dict)
    """server -> (tools listed, bytes of the tools/list answer)."""

    def all(self) -> list[Target]:
        servers = [self.call[FULL], self.generated, self.listing[FULL], self.call[TWO], self.listing[TWO]]
        servers += [self.call[BEFORE], self.listing[BEFORE]] if BEFORE in self.call else []
        return [self.direct, self.floor, self.direct_list, self.floor_list, *servers, *filter(None, [self.workers])]


def run(seconds: float, rounds: int, workdir: Path, before: str) -> Targets:
    gateway_port, floor_port = free_port(), free_port()
    gateway = f"http://127.0.0.1:{gateway_port}"
    configs = {
        FULL: write_config(workdir, f"{gateway}/mcp", FULL),
        TWO: write_config(workdir, gateway + SEED_PATH, TWO),
    }
    places = {FULL: ROOT, TWO: ROOT}
    old = checkout_before(before, workdir, configs[TWO]) if before else None
    if old is not None:
        places[BEFORE], configs[BEFORE] = old
    env = {**os.environ, "MCP_ALLOW_WRITES": "0" if READ_ONLY else "1", "MCP_TOOLSETS": "all"}
    direct = Target("gateway direct", f"{gateway}/mcp", tool_call("GitHubTarget___getAuthenticatedUser"))
    floor = Target("ASGI passthrough floor", f"http://127.0.0.1:{floor_port}/mcp", direct.body)
    profile, generated = tool_call("get_user_profile"), tool_call(*GENERATED)
    targets = Targets(
        direct=direct,
        floor=floor,
        direct_list=Target("gateway direct tools/list", direct.url, LIST_TOOLS),
        floor_list=Target("floor tools/list", floor.url, LIST_TOOLS),
        call={FULL: Target("mcp-server full", "", profile), TWO: Target("mcp-server two", "", profile)},
        generated=Target(f"mcp-server full {GENERATED[0]}", "", generated),
        listing={
            FULL: Target("mcp-server full tools/list", "", LIST_TOOLS),
            TWO: Target("mcp-server two tools/list", "", LIST_TOOLS),
        },
        workers=Target("mcp-server full --workers 2", "", profile) if supports_workers() else None,
    )
    if old is not None:
        # get_user_profile then was the same Python tool as now
        targets.call[BEFORE] = Target(f"mcp-server before ({before})", "", profile)
        targets.listing[BEFORE] = Target("mcp-server before tools/list", "", LIST_TOOLS)
    groups = [
        [(targets.call[FULL], FULL, 1), (targets.generated, FULL, 1), (targets.listing[FULL], FULL, 1)],
        [(targets.call[TWO], TWO, 1), (targets.listing[TWO], TWO, 1)],
    ]
    if old is not None:
        groups.append([(targets.call[BEFORE], BEFORE, 1), (targets.listing[BEFORE], BEFORE, 1)])
    if targets.workers is not None:
        groups[0].append((targets.workers, FULL, 2))
    with (
        process([sys.executable, "bench/minimal_gateway.py", str(gateway_port)], f"{gateway}/") as gw,
        process([sys.executable, "bench/passthrough_floor.py", str(floor_port), direct.url], floor.url) as fl,
    ):
        for target in (direct, targets.direct_list):
            target.pid = gw.pid
        for target in (floor, targets.floor_list):
            target.pid = fl.pid
        for number in range(rounds):
            print(f"round {number + 1}/{rounds} (load average {format_load()})", file=sys.stderr)
            for target in (direct, floor, targets.direct_list, targets.floor_list):
                call_once(target)
                measure(target, gw.pid, seconds)
            # the servers take turns going first, so a drift in the machine's load favours none
            turn = number % len(groups)
            for target, toolset, workers in [s for group in groups[turn:] + groups[:turn] for s in group]:
                port = free_port()
                target.url = f"http://127.0.0.1:{port}/mcp"
                ready = f"http://127.0.0.1:{port}/healthz"
                args = server_args(configs[toolset], port, workers)
                with process(args, ready, env, places[toolset]) as proc:
                    target.pid = proc.pid
                    targets.listed[toolset] = list_and_call_every_tool(target.url)
                    call_once(target)
                    measure(target, gw.pid, seconds)
                print(f"  {target.name}: {format_load()}", file=sys.stderr)
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


def report(run: Targets, load_before: str) -> None:
    targets = run.all()
    print(
        f"\nmachine: {os.cpu_count()} CPUs ({cpu_model()}), {platform.platform()}, Python {platform.python_version()}"
    )
    print(f"load average before: {load_before}; after: {format_load()}")
    print(
        "Other processes share this machine, so latency and calls/s move with their load; CPU per call "
        "(utime+stime from /proc, per process) counts only the process's own work and is the robust figure."
    )
    offered = "reads only (--read-only)" if READ_ONLY else "every operation (MCP_ALLOW_WRITES=1)"
    for toolset, (count, size) in sorted(run.listed.items()):
        print(
            f"toolset {toolset}: tools/list answers {count} tools, {size:,} bytes"
            + (f" ({offered})" if toolset == FULL else " (the curated get_user_profile and get_user_repos)")
        )
    print("figures: min/median/max over the rounds; added = the target's percentile minus the gateway's own")
    print("(tools/call or tools/list, same round; p99s are noisy under shared load, so each is also shown as it was)\n")
    print(f"{'target':34} {'CPU us/call 1c':>16} {'CPU us/call 16c':>16} {'calls/s 16c':>18} {'RSS MB':>10}")
    for target in targets:
        rss = "-" if target in (run.direct, run.direct_list) else spread(target.figures["rss_mb"])
        print(
            f"{target.name:34} {spread(target.figures['cpu_us_1']):>16} {spread(target.figures['cpu_us_16']):>16} "
            f"{spread(target.figures['rps_16']):>18} {rss:>10}"
        )
    print(f"\n{'latency, ms':34}", *(f"{c:>15}" for c in LATENCY_COLUMNS))
    for target in targets:
        base = gateway_of(run, target)
        cells = [latency_cell(target, base, key) for key in LATENCY_KEYS]
        print(f"{target.name:34}", *(f"{c:>15}" for c in cells))
    print(f"\ncalls per run (min): {min(min(t.figures['calls_1'] + t.figures['calls_16']) for t in targets):.0f}")
    print("\nratios of medians: ours / baseline (the same server offering the two curated tools) / floor")
    compare("tools/call get_user_profile", run.call[FULL], run.call[TWO], run.floor, run.direct)
    compare(f"tools/call {GENERATED[0]} (generated)", run.generated, run.call[FULL], run.floor, run.direct,
            baseline_name="full get_user_profile")  # fmt: skip
    compare("tools/list", run.listing[FULL], run.listing[TWO], run.floor_list, run.direct_list)
    if BEFORE in run.call:
        name = "the server before issue 23"
        compare("tools/call get_user_profile", run.call[FULL], run.call[BEFORE], run.floor, run.direct, name)
        compare("tools/list", run.listing[FULL], run.listing[BEFORE], run.floor_list, run.direct_list, name)
    if run.workers is not None:
        compare("tools/call --workers 2", run.workers, run.call[FULL], run.floor, run.direct,
                baseline_name="one worker")  # fmt: skip
    judge(run)


LATENCY_KEYS = ("p50_1", "+p50_1", "p99_1", "+p99_1", "p50_16", "+p50_16", "p99_16", "+p99_16")
LATENCY_COLUMNS = ("p50 1c", "added p50 1c", "p99 1c", "added p99 1c", "p50 16c", "added p50 16c", "p99 16c",
                   "added p99 16c")  # fmt: skip


def gateway_of(run: Targets, target: Target) -> Target:
    """The gateway's own answer to the same request: what `added` latency is measured from."""
    return run.direct_list if target.body == LIST_TOOLS else run.direct


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


def compare(
    what: str, ours: Target, baseline: Target, floor: Target, direct: Target, baseline_name: str = "two"
) -> None:
    """One line per figure: ours / baseline / floor as values, then ours÷baseline and ours÷floor."""
    print(f"{what} (baseline: {baseline_name}):")
    rows = [
        ("CPU us/call 1c", lambda t: median(t, "cpu_us_1"), "{:.0f}"),
        ("CPU us/call 16c", lambda t: median(t, "cpu_us_16"), "{:.0f}"),
        ("p50 ms 1c", lambda t: median(t, "p50_1"), "{:.2f}"),
        ("added p50 ms 1c", lambda t: added_p50(t, direct, 1), "{:.2f}"),
        ("p50 ms 16c", lambda t: median(t, "p50_16"), "{:.2f}"),
        ("added p50 ms 16c", lambda t: added_p50(t, direct, 16), "{:.2f}"),
        ("calls/s 16c", lambda t: median(t, "rps_16"), "{:.0f}"),
        ("RSS MB", lambda t: median(t, "rss_mb"), "{:.0f}"),
    ]
    for label, figure, fmt in rows:
        values = [figure(t) for t in (ours, baseline, floor)]
        ratio = lambda a, b: f"{a / b:.2f}x" if b > 0 else "-"  # noqa: E731
        shown = " / ".join(fmt.format(v) for v in values)
        print(f"  {label:18} {shown:>26}   ours/baseline {ratio(values[0], values[1]):>7}   "
              f"ours/floor {ratio(values[0], values[2]):>7}")  # fmt: skip


def judge(run: Targets) -> None:
    ok = lambda met: "met" if met else "NOT met"  # noqa: E731
    one, direct = run.call[FULL], run.direct
    cpu, p50, rss = median(one, "cpu_us_16"), added_p50(one, direct, 1), median(one, "rss_mb")
    generated = median(run.generated, "cpu_us_16")
    line = (
        f"\nRESULT (full toolset) server_cpu_us_per_call_16={cpu:.0f} ({ok(cpu <= 400)}, target <= 400) "
        f"generated_tool_cpu_us_per_call_16={generated:.0f} ({ok(generated <= 400)}, target <= 400) "
        f"added_p50_ms_1={p50:.2f} ({ok(p50 <= 0.5)}, target <= 0.5) rss_mb={rss:.0f} ({ok(rss <= 80)}, target <= 80) "
        f"list_cpu_us_per_call_16={median(run.listing[FULL], 'cpu_us_16'):.0f} "
        f"(two tools: {median(run.listing[TWO], 'cpu_us_16'):.0f}) "
        f"list_added_p50_ms_1={added_p50(run.listing[FULL], run.direct_list, 1):.2f} "
        f"(two tools: {added_p50(run.listing[TWO], run.direct_list, 1):.2f})"
    )
    if BEFORE in run.call:
        before = run.call[BEFORE]
        line += (
            f" before_issue_23: cpu_us_per_call_16={median(before, 'cpu_us_16'):.0f} "
            f"added_p50_ms_1={added_p50(before, direct, 1):.2f} rss_mb={median(before, 'rss_mb'):.0f}"
        )
    if run.workers is not None:
        ratio = median(run.workers, "p50_1") / median(one, "p50_1")
        line += f" workers2_p50_1_ratio={ratio:.2f} ({ok(ratio <= 2)}, target <= 2)"
    else:
        line += " workers: mcp-server has no --workers option (not measured)"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--seconds",
        type=float,
        default=8.0,
        help="wrk duration per target and client count (5 s gave <2000 calls at 1 client under load)",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--read-only", action="store_true", help="the full server offers reads only (a default deployment)"
    )
    parser.add_argument(
        "--before",
        default=BEFORE_REV,
        metavar="REV",
        help=f"also measure the server's code at this commit with the two tools (default {BEFORE_REV}, the "
        "server before issue 23; '' for none)",
    )
    options = parser.parse_args()
    global READ_ONLY
    READ_ONLY = options.read_only
    require_wrk()
    load_before = format_load()
    with tempfile.TemporaryDirectory() as workdir:
        targets = run(options.seconds, options.rounds, Path(workdir), options.before)
    report(targets, load_before)


if __name__ == "__main__":
    main()
