"""Run `reconcile demo` many times in a row beside CPU-bound processes, to shake out races.

    uv run python -m demo.stress --runs 30 --hogs 2

Each run's exit code and wall time are printed; a failed run's output is saved (its path and the
`Demo failed: ...` line are printed). Ends with the pass count and the median and maximum times.
The CPU hogs are stopped whatever happens.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

HOG = "while True: pass"


@contextmanager
def cpu_hogs(count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    hogs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(count)]
    try:
        yield hogs
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def one_run(number: int, save_to: Path, extra: list[str]) -> tuple[bool, float]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "commands", "demo", *extra], capture_output=True, text=True, timeout=900
    )
    elapsed = time.monotonic() - started
    if result.returncode == 0:
        click.echo(f"run {number}: ok {elapsed:.1f}s")
        return True, elapsed
    output = save_to / f"run-{number}.txt"
    output.write_text(result.stdout + "\n--- stderr ---\n" + result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    failed = [line for line in lines if line.startswith("Demo failed")]
    reason = (failed or lines or ["(no output)"])[-1]
    click.secho(f"run {number}: FAILED (exit {result.returncode}) {elapsed:.1f}s: {reason} [{output}]", fg="red")
    return False, elapsed


@click.command()
@click.option("--runs", default=30, show_default=True)
@click.option("--hogs", default=2, show_default=True, help="CPU-bound processes running beside the demo.")
@click.option("--stop-on-failure", is_flag=True)
@click.argument("demo_args", nargs=-1)
def main(runs: int, hogs: int, stop_on_failure: bool, demo_args: tuple[str, ...]) -> None:
    save_to = Path(tempfile.mkdtemp(prefix="demo-stress-"))
    times: list[float] = []
    passed = 0
    with cpu_hogs(hogs):
        for number in range(1, runs + 1):
            ok, elapsed = one_run(number, save_to, list(demo_args))
            times.append(elapsed)
            passed += ok
            if not ok and stop_on_failure:
                break
    failures = f"; failed runs' output in {save_to}" if passed < len(times) else ""
    if not failures:
        save_to.rmdir()
    click.echo(
        f"\n{passed}/{len(times)} runs passed with {hogs} CPU hog(s); "
        f"median {statistics.median(times):.1f}s, max {max(times):.1f}s{failures}"
    )
    sys.exit(0 if passed == len(times) else 1)


if __name__ == "__main__":
    main()
