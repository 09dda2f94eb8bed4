"""How long `mcp-server` takes to start and how much memory it holds, against the floor.

Each row is a fresh interpreter, run `--runs` times (median wall time, median peak RSS from
os.wait4's rusage), in the same run:
- python: an empty interpreter (what any Python program pays);
- floor: importing only the libraries the server needs to serve (mcp's MCPServer, httpx, uvicorn,
  click, pydantic) - the simplest thing that could do the job;
- mcp-server --help: our entry point, imports and option parsing included; it imports only the command
  line (the server is imported once the options are parsed), so its floor is `python`;
- server imports: what a serving process imports (server.serving, which builds the app), against `floor`.
It also lists which project packages each of the two loads (the hand-off rule: no `reconciler`; no boto3).

    uv run python bench/server_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = "import mcp.server, httpx, uvicorn, click, pydantic"
PROJECT = ("reconciler", "sandbox", "demo", "callback", "server", "handoff", "boto3")


def measure(argv: list[str], runs: int) -> tuple[float, float]:
    """Median wall seconds and median peak RSS (MB) of `argv` run `runs` times."""
    walls, rss = [], []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - start)
        rss.append(usage.ru_maxrss / 1024)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}")
    return statistics.median(walls), statistics.median(rss)


def loaded_packages(module: str) -> dict[str, int]:
    """Modules of each project package (and boto3) that importing `module` loads."""
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    names = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    counts = dict.fromkeys(PROJECT, 0)
    for name in names.split():
        top = name.split(".")[0]
        if top in counts:
            counts[top] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    rows = {
        "python": measure([sys.executable, "-c", "pass"], runs),
        "floor": measure([sys.executable, "-c", FLOOR], runs),
        "mcp-server --help": measure([sys.executable, "-m", "server", "--help"], runs),
        "server imports": measure([sys.executable, "-c", "import server.serving"], runs),
    }
    floor_wall, floor_rss = rows["floor"]
    print(f"{'':20} {'wall ms':>9} {'RSS MB':>8} {'wall/floor':>11} {'RSS/floor':>10}   ({runs} runs, medians)")
    for name, (wall, rss) in rows.items():
        print(f"{name:20} {wall * 1000:9.0f} {rss:8.1f} {wall / floor_wall:11.2f} {rss / floor_rss:10.2f}")
    for module in ("server.__main__", "server.serving"):
        counts = loaded_packages(module)
        print(f"modules loaded by `import {module}`: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
