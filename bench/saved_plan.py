"""Saved plans cost no more AWS reads than plans: `plan --out` + `apply FILE` against plain `apply`,
in one run, against the sandbox (real boto3 clients over loopback HTTP).

For each of N rounds on the applied shipped stack with one field changed (the gateway's description,
so every round has an update to make): the API calls and the wall time of
- baseline: `apply` (one read pass, the plan, the update);
- saved: `plan --out` (one read pass) + `apply FILE` (one read pass for the staleness check, the update);
- floor: the reads a plan needs at least (one read pass) plus the same update.
The staleness check must not re-read more than a plan does: saved reads = 2 x one read pass.

    uv run python bench/saved_plan.py [--rounds 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("SERVER_SOURCE", str(ROOT))  # the shipped stack packages server/ from the repository
sys.path.insert(0, str(ROOT))

from click.testing import CliRunner  # noqa: E402

from commands.reconcile import main as reconcile_main  # noqa: E402
from reconciler import engine  # noqa: E402
from reconciler.aws import CallCounter  # noqa: E402
from sandbox.cli import DEMO_ENV  # noqa: E402
from sandbox.server import Sandbox  # noqa: E402


def reconcile(*args: str) -> None:
    result = CliRunner().invoke(reconcile_main, list(args), catch_exceptions=False)
    if result.exit_code not in (0, 2):
        raise SystemExit(f"reconcile {' '.join(args)} exited {result.exit_code}:\n{result.output}")


def counted(work: Callable[[], None]) -> tuple[CallCounter, float]:
    counter, original = CallCounter(), engine.make_clients

    def counting(**kwargs: object) -> object:
        clients = original(**kwargs)  # type: ignore[arg-type]
        clients.count_calls(counter)
        for client in (clients.ssm,):
            client.meta.events.register("before-call.*.*", counter)
        return clients

    engine.make_clients = counting  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        work()
        return counter, time.perf_counter() - started
    finally:
        engine.make_clients = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10)
    rounds = parser.parse_args().rounds
    workdir = Path(tempfile.mkdtemp(prefix="bench-saved-plan-"))
    shutil.copy(ROOT / "stack.yaml", workdir / "stack.yaml")
    shutil.copytree(ROOT / "openapi", workdir / "openapi")
    os.chdir(workdir)
    stack = workdir / "stack.yaml"
    with Sandbox() as server:
        os.environ.update(
            {**server.environ, "OIDC_DISCOVERY_URL": f"{server.url}/oidc/.well-known/openid-configuration", **DEMO_ENV}
        )
        reconcile("apply", "--auto-approve")
        rows: dict[str, list[tuple[CallCounter, float]]] = {"baseline": [], "saved": [], "reads": []}
        for i in range(rounds):
            for name in ("baseline", "saved"):
                text = stack.read_text()
                stack.write_text(text.replace("description: MCP gateway", f"description: {name} {i} MCP gateway", 1))
                if name == "baseline":
                    rows[name].append(counted(lambda: reconcile("apply", "--auto-approve")))
                else:
                    rows[name].append(
                        counted(lambda: (reconcile("plan", "--out", "p.json"), reconcile("apply", "p.json"))[-1])
                    )
                stack.write_text(text)
                reconcile("apply", "--auto-approve")
            rows["reads"].append(counted(lambda: reconcile("plan")))
    shutil.rmtree(workdir)
    reads = statistics.median(c.total for c, _ in rows["reads"])
    print(f"{rounds} rounds; one read pass (a plan) = {reads:.0f} calls")
    print(f"{'':10} {'calls':>6} {'writes':>7} {'wall s':>7} {'calls/floor':>12}")
    for name in ("baseline", "saved"):
        calls = statistics.median(c.total for c, _ in rows[name])
        writes = statistics.median(c.writes for c, _ in rows[name])
        wall = statistics.median(t for _, t in rows[name])
        floor = reads + writes
        print(f"{name:10} {calls:6.0f} {writes:7.0f} {wall:7.2f} {calls / floor:12.2f}")
    saved_reads = statistics.median(c.total - c.writes for c, _ in rows["saved"])
    baseline_reads = statistics.median(c.total - c.writes for c, _ in rows["baseline"])
    check = saved_reads - baseline_reads
    print(
        f"the staleness check re-read {check:.0f} calls; one read pass is {reads:.0f} "
        f"({'met' if check <= reads else 'NOT met'}: it must not re-read more than a plan does)"
    )


if __name__ == "__main__":
    main()
