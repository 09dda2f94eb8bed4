"""What a plan costs at real-AWS latency: the sandbox adds a fixed delay to every answer, and the
plan's wall time is counted in round trips (wall / delay), in one run:
- ours: a plan of the shipped stack, and of a generated stack of 50 resources (IAM roles);
- baseline: the same plans read one call after another (parallelism 1, no gathered calls);
- floor: one round trip per dependency level that reading cannot avoid (a list, then a get, then a
  target through its gateway): 3 for the shipped stack.
Also the calls per operation, against the one-read-per-resource floor.

    uv run python bench/plan_latency.py [--latency-ms 50] [--rounds 5]

Targets (issue #15): shipped stack <= 5 round trips (plus CPU); 50 resources <= 8; the apply of the
shipped stack about its critical path of waits (the same apply with no limit on parallelism). The sandbox runs in
its own process; the plan's CPU is measured against a sandbox without latency and set aside.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("SERVER_SOURCE", str(ROOT))  # the shipped stack packages server/ from the repository
sys.path.insert(0, str(ROOT))

from reconciler.applying import apply_plan  # noqa: E402
from reconciler.aws import CallCounter, make_clients  # noqa: E402
from reconciler.kinds.base import Context  # noqa: E402
from reconciler.planning import plan_changes  # noqa: E402
from reconciler.reading import read_live_state  # noqa: E402
from reconciler.stack import load_stack  # noqa: E402
from sandbox.cli import DEMO_ENV  # noqa: E402

ROLES = "".join(
    f"  role_{i:02}:\n    kind: iam_role\n    assume_role_policy: {{Version: '2012-10-17', Statement: []}}\n"
    for i in range(45)
)


def timed_plan(stack_file: Path, *, parallelism: int, counter: CallCounter | None = None) -> float:
    stack = load_stack(stack_file)
    clients = make_clients()
    if counter is not None:
        clients.count_calls(counter)
    ctx = Context(clients=clients, stack=stack.name)
    started = time.perf_counter()
    plan_changes(stack, read_live_state(ctx, stack, parallelism=parallelism))
    return time.perf_counter() - started


def sequential(work: Callable[[], float]) -> float:
    """Reads one call after another: gathered calls run in turn too."""
    original = Context.gather
    Context.gather = lambda self, *calls: [call() for call in calls]  # type: ignore[method-assign]
    try:
        return work()
    finally:
        Context.gather = original  # type: ignore[method-assign]


def apply_stack(stack_file: Path, *, parallelism: int = 4) -> float:
    """Apply from nothing; returns the wall time of the apply walk (the plan before it is not counted)."""
    stack = load_stack(stack_file)
    ctx = Context(clients=make_clients(), stack=stack.name, poll_initial=0.01)
    plan = plan_changes(stack, read_live_state(ctx, stack))
    start = time.perf_counter()
    result = apply_plan(ctx, plan, parallelism=parallelism)
    wall = time.perf_counter() - start
    assert result.ok, result.outcomes
    return wall


def measure_apply(stack_file: Path, latency_ms: float) -> tuple[float, float, float]:
    """The shipped apply's walk: ours (default parallelism), its critical path (parallelism beyond the number
    of resources, so only dependencies order the work), and one resource at a time; each on a fresh sandbox."""
    walls = []
    for parallelism in (4, 64, 1):
        with sandbox_process(latency_ms) as environ:
            os.environ.update(environ)
            walls.append(apply_stack(stack_file, parallelism=parallelism))
    return walls[0], walls[1], walls[2]


@contextmanager
def sandbox_process(latency_ms: float) -> Iterator[dict[str, str]]:
    """A sandbox in its own process (its CPU does not share this interpreter), with a fixed latency."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "commands", "sandbox", "--port", str(port), "--latency", str(latency_ms)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{url}/oidc/.well-known/openid-configuration", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield {
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": "sandbox",
            "AWS_SECRET_ACCESS_KEY": "sandbox-secret",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "OIDC_DISCOVERY_URL": f"{url}/oidc/.well-known/openid-configuration",
            **DEMO_ENV,
        }
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure(stack_file: Path, latency_ms: float, rounds: int) -> tuple[float, float, CallCounter]:
    """Median plan wall time (parallel, then sequential) and the calls, against a fresh sandbox."""
    with sandbox_process(latency_ms) as environ:
        os.environ.update(environ)
        apply_stack(stack_file)
        ours = statistics.median(timed_plan(stack_file, parallelism=10) for _ in range(rounds))
        seq = sequential(lambda: timed_plan(stack_file, parallelism=1))
        counter = CallCounter()
        timed_plan(stack_file, parallelism=10, counter=counter)
    return ours, seq, counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    delay = args.latency_ms / 1000
    workdir = Path(tempfile.mkdtemp(prefix="bench-plan-latency-"))
    shutil.copytree(ROOT / "openapi", workdir / "openapi")
    shipped, generated = workdir / "stack.yaml", workdir / "generated.yaml"
    shutil.copy(ROOT / "stack.yaml", shipped)
    generated.write_text(shipped.read_text().replace("resources:\n", "resources:\n" + ROLES, 1))
    results = {}
    for name, path in (("shipped", shipped), ("generated (50)", generated)):
        cpu, _, _ = measure(path, 0.0, args.rounds)
        ours, seq, counter = measure(path, args.latency_ms, args.rounds)
        results[name] = (ours, seq, counter, cpu)
    applied = measure_apply(shipped, args.latency_ms)
    shutil.rmtree(workdir)
    print(f"latency {args.latency_ms:.0f} ms per call (sandbox in its own process); medians of {args.rounds} plans")
    print("RT = wall / latency; 'waiting RT' = (wall - wall without latency) / latency: the round trips, CPU aside")
    print(
        f"{'stack':16} {'ours RT':>8} {'waiting RT':>11} {'sequential RT':>14} {'floor RT':>9} {'calls':>6} "
        f"{'waiting/floor':>14} {'CPU ms':>7}"
    )
    for name, (ours, seq, counter, cpu) in results.items():
        floor, waiting = 3, (ours - cpu) / delay
        print(
            f"{name:16} {ours / delay:8.1f} {waiting:11.1f} {seq / delay:14.1f} {floor:9d} {counter.total:6d} "
            f"{waiting / floor:14.2f} {cpu * 1000:7.0f}"
        )
    for name, (_, _, counter, _) in results.items():
        print(
            f"calls per operation ({name}): "
            + ", ".join(f"{op.split(':')[1]} {n}" for op, n in sorted(counter.calls.items()))
        )
    for name, target in (("shipped", 5), ("generated (50)", 8)):
        ours, _, _, cpu = results[name]
        waiting = (ours - cpu) / delay
        # The measure: wall <= target round trips + CPU (CPU: the same plan against a sandbox
        # without latency, which here includes the sandbox's own work for every call).
        verdict = "met" if ours <= target * delay + cpu else "NOT met"
        print(
            f"RESULT {name}: {ours * 1000:.0f} ms = {ours / delay:.1f} RT in all, {waiting:.1f} waiting RT "
            f"+ {cpu * 1000:.0f} ms CPU; target <= {target} RT + CPU: {verdict}"
        )

    ours, critical, one_at_a_time = applied
    print(
        f"RESULT apply (shipped, from nothing): {ours:.2f} s = {ours / delay:.0f} RT; its critical path (no limit "
        f"on parallelism) {critical:.2f} s, ratio {ours / critical:.2f}; one resource at a time {one_at_a_time:.2f} s"
    )


if __name__ == "__main__":
    main()
