"""A no-op plan with the Runtime deployment's kinds against one without: AWS calls and wall time.

The shipped stack (with: its artifact bucket, the packaged server's code artifact, session table and
agent runtime) against the same without its Runtime part (tests/shipped_stack.py). Each is applied to a clean
sandbox, then planned N times with nothing to change; packaging is cached after the apply, so the
plan's cost is the stack load (hashing the server's sources) plus the reads.

    uv run python bench/runtime_plan.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reconciler.applying import apply_plan  # noqa: E402
from reconciler.aws import CallCounter, make_clients  # noqa: E402
from reconciler.kinds.base import Context  # noqa: E402
from reconciler.planning import plan_changes  # noqa: E402
from reconciler.reading import read_live_state  # noqa: E402
from reconciler.stack import load_stack  # noqa: E402
from sandbox.cli import DEMO_ENV  # noqa: E402
from sandbox.server import Sandbox  # noqa: E402
from tests.shipped_stack import without_runtime  # noqa: E402


def write_stacks(folder: Path) -> dict[str, Path]:
    stacks = {}
    shipped = (ROOT / "stack.yaml").read_text()
    for label, text in (("without", without_runtime(shipped)), ("with", shipped)):
        target = folder / label
        shutil.copytree(ROOT / "openapi", target / "openapi")
        (target / "stack.yaml").write_text(text)
        stacks[label] = target / "stack.yaml"
    return stacks


def plan_once(path: Path, apply: bool = False) -> tuple[float, CallCounter, int]:
    started = time.perf_counter()
    stack = load_stack(path)
    clients, counter = make_clients(), CallCounter()
    clients.count_calls(counter)
    ctx = Context(clients=clients, stack=stack.name, poll_initial=0.01)
    plan = plan_changes(stack, read_live_state(ctx, stack))
    if apply:
        assert apply_plan(ctx, plan).ok
    return time.perf_counter() - started, counter, len(stack.resources)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as scratch, Sandbox() as server:
        os.environ.update(
            {
                **server.environ,
                "OIDC_DISCOVERY_URL": f"{server.url}/oidc/.well-known/openid-configuration",
                "SERVER_SOURCE": str(ROOT),
                **DEMO_ENV,
            }
        )
        results = {}
        for label, path in write_stacks(Path(scratch)).items():
            server.reset()
            plan_once(path, apply=True)
            runs = [plan_once(path) for _ in range(rounds)]
            results[label] = (statistics.median(r[0] for r in runs), runs[-1][1], runs[-1][2])
    for label, (seconds, counter, resources) in results.items():
        print(
            f"{label:8} runtime kinds: {resources} resources, no-op plan {counter.total} calls, {seconds * 1000:.0f} ms"
        )
        for op, n in sorted(counter.calls.items()):
            if label == "with" and (op.startswith(("s3:", "dynamodb:")) or "AgentRuntime" in op):
                print(f"           {n:3d}  {op}")
    (t0, c0, _), (t1, c1, _) = results["without"], results["with"]
    print(f"RESULT extra_calls={c1.total - c0.total} plan_ms_without={t0 * 1000:.0f} plan_ms_with={t1 * 1000:.0f}")


if __name__ == "__main__":
    main()
