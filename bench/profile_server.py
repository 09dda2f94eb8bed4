"""Where one mcp-server process spends its time under wrk load: py-spy samples the server (by PID, pausing it
for each sample: --nonblocking left most samples' stacks torn here) while wrk drives one request at 16
connections, against the instant gateway, with the full toolset or the two curated tools, set up as
bench/server_overhead.py sets its servers up (tools listed and each called once first). Prints the functions
holding the most samples, inclusive, as file:function.

    uv run python bench/profile_server.py [--toolset full|two] [--request call|generated|list] [--seconds 15]

Needs wrk and py-spy (run through `uvx py-spy`). Sampling costs the server some CPU: read the shares,
not the absolute figures (those are bench/server_overhead.py's).
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import server_overhead as bench  # noqa: E402
from wrk_load import lua_script, run_wrk  # noqa: E402

FRAME = re.compile(r"(?P<function>.*) \((?P<file>.*?)(?::\d+)?\)$")
REQUESTS = {
    "call": bench.tool_call("get_user_profile"),
    "generated": bench.tool_call(*bench.GENERATED),
    "list": bench.LIST_TOOLS,
}


def frame_name(frame: str) -> str:
    found = FRAME.match(frame)
    if found is None:
        return frame
    path = found["file"].split("site-packages/")[-1].replace(str(bench.ROOT) + "/", "")
    return f"{path}:{found['function']}"


def shares(raw: Path) -> tuple[int, collections.Counter[str], collections.Counter[str]]:
    """Samples in all, and per function: inclusive and self (py-spy's raw format: `frame;frame;... count`)."""
    total, inclusive, own = 0, collections.Counter[str](), collections.Counter[str]()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        names = [frame_name(f) for f in stack.split(";")]
        total += int(count)
        for name in set(names):
            inclusive[name] += int(count)
        own[names[-1]] += int(count)
    return total, inclusive, own


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--toolset", choices=(bench.FULL, bench.TWO), default=bench.FULL)
    parser.add_argument("--request", choices=tuple(REQUESTS), default="list")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--top", type=int, default=40)
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="profile-server-"))
    gateway_port, port = bench.free_port(), bench.free_port()
    gateway = f"http://127.0.0.1:{gateway_port}"
    path = "/mcp" if options.toolset == bench.FULL else bench.SEED_PATH
    config = bench.write_config(workdir, gateway + path, options.toolset)
    env = {**os.environ, "MCP_ALLOW_WRITES": "1", "MCP_TOOLSETS": "all"}
    url, raw = f"http://127.0.0.1:{port}/mcp", workdir / "py-spy.txt"
    print(f"load average before: {bench.format_load()}")
    with (
        bench.process([sys.executable, "bench/minimal_gateway.py", str(gateway_port)], f"{gateway}/"),
        bench.process(bench.server_args(config, port, 1), f"http://127.0.0.1:{port}/healthz", env) as server,
    ):
        bench.list_and_call_every_tool(url)
        script = lua_script(REQUESTS[options.request], bench.HEADERS)
        run_wrk(url, script, connections=16, seconds=1)  # warm
        spy = ["uvx", "py-spy", "record", "-r", "200", "-f", "raw", "-o", str(raw)]
        spy += ["-p", str(server.pid), "-d", str(round(options.seconds) + 2)]
        sampling = subprocess.Popen(spy, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.5)  # py-spy attached
        result = run_wrk(url, script, connections=16, seconds=options.seconds)
        sampling.wait()
    print(f"load average after: {bench.format_load()}; {result.requests} requests, p50 {result.p50_ms:.2f} ms")
    total, inclusive, own = shares(raw)
    busy = inclusive.get("server/stateless_json.py:StatelessJSON.__call__", 0) or total
    print(f"{total} samples, {busy} in the ASGI app (shares below are of those)\n\ninclusive:")
    inside = [(name, count) for name, count in inclusive.most_common() if count <= busy]  # not the loop's frames
    for name, count in inside[: options.top]:
        print(f"{100 * count / busy:6.1f}%  {name}")
    print("\nself:")
    for name, count in own.most_common(options.top // 2):
        print(f"{100 * count / busy:6.1f}%  {name}")


if __name__ == "__main__":
    main()
