"""How long the commands take to start, and what one warm in-process plan costs, in one run.

Whole processes, each run `--runs` times (median, min and max wall time; median peak RSS from
os.wait4's rusage), against the floor measured in the same run:
- python -c pass: an empty interpreter (the floor);
- reconcile --help;
- reconcile validate of the shipped stack.yaml (with the environment variables it names, as tests/conftest.py's
  STACK_ENV sets them);
- mcp-server --help;
- oauth-callback --help.
The executables are the virtual environment's own (`.venv/bin/reconcile`, not `uv run reconcile`: uv's own
start and lock check would be timed too). Bytecode: by default the rows run as an installed program does, with
compiled modules cached (written under a temporary PYTHONPYCACHEPREFIX, so nothing is written beside the
sources, and a first run per row, not counted, writes them); `--no-bytecode` runs them as an environment with
PYTHONDONTWRITEBYTECODE=1 and no __pycache__ does, compiling every module on every start. The table says which.

Then, in this process: the shipped stack applied to a sandbox without latency (in a thread, as the tests run
it), and `reconcile plan` of it run through click's CliRunner `--plans` times; the first plan warms up (imports,
botocore's models, the packaged server), the others are the warm plans reported.

    uv run python bench/startup.py [--runs 7] [--plans 5]

Targets (issue 20): reconcile --help <= 0.3 s, reconcile validate <= 0.6 s, mcp-server --help <= 0.5 s (medians);
warm in-process plan <= 0.8 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STACK_ENV = {
    "GITHUB_CLIENT_ID": "Iv1.sandboxclient",
    "GITHUB_CLIENT_SECRET": "gh-client-secret-0123456789abcdef",
    "OIDC_DISCOVERY_URL": "http://127.0.0.1:9/.well-known/openid-configuration",
    "OIDC_CLIENT_ID": "demo-client",
    "SERVER_SOURCE": str(ROOT),
}
TARGETS = {"reconcile --help": 0.3, "reconcile validate": 0.6, "mcp-server --help": 0.5}
HEAVY = (
    "boto3",
    "botocore",
    "moto",
    "mcp",
    "uvicorn",
    "starlette",
    "reconciler.packaging",
    "sandbox",
    "demo",
    "openapi_spec_validator",
)


def measure(argv: list[str], runs: int, env: dict[str, str]) -> tuple[list[float], float]:
    """Wall seconds of each run and the median peak RSS (MB); a non-zero exit stops the bench."""
    walls, rss = [], []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        errors = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - start)
        rss.append(usage.ru_maxrss / 1024)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(argv)} failed:\n{errors.decode()}")
    return walls, statistics.median(rss)


def loaded(code: str, env: dict[str, str]) -> list[str]:
    """Which of HEAVY a fresh interpreter has imported after running `code`."""
    probe = f"import sys\n{code}\nprint('--- modules ---', *sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True).stdout
    names = set(out.split("--- modules ---")[-1].split())
    return [h for h in HEAVY if h in names or any(n.startswith(h + ".") for n in names)]


def startup(runs: int, *, bytecode: bool) -> None:
    env = {**os.environ, **STACK_ENV}
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="bench-startup-pycache-")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    stack = str(ROOT / "stack.yaml")
    rows = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "reconcile --help": [str(BIN / "reconcile"), "--help"],
        "reconcile validate": [str(BIN / "reconcile"), "validate", "--stack", stack],
        "mcp-server --help": [str(BIN / "mcp-server"), "--help"],
        "oauth-callback --help": [str(BIN / "oauth-callback"), "--help"],
    }
    if bytecode:
        for argv in rows.values():
            measure(argv, 1, env)  # writes the cached bytecode; not counted
    results = {name: measure(argv, runs, env) for name, argv in rows.items()}
    floor = statistics.median(results["python -c pass"][0])
    load = os.getloadavg()
    cached = "with cached bytecode" if bytecode else "without bytecode (PYTHONDONTWRITEBYTECODE=1)"
    print(f"whole processes, {runs} runs each (.venv/bin executables, {cached}); load average {load[0]:.2f}")
    print(f"{'':21} {'median ms':>10} {'min':>6} {'max':>6} {'RSS MB':>7} {'/floor':>7}  target")
    for name, (walls, rss) in results.items():
        median = statistics.median(walls)
        target = TARGETS.get(name)
        verdict = f"<= {target * 1000:.0f} ms: {'met' if median <= target else 'NOT met'}" if target else ""
        print(
            f"{name:21} {median * 1000:10.0f} {min(walls) * 1000:6.0f} {max(walls) * 1000:6.0f} {rss:7.1f} "
            f"{median / floor:7.1f}  {verdict}"
        )
    validate = (
        f"from commands.reconcile import main\ntry: main(['validate', '--stack', {stack!r}])\nexcept SystemExit: pass"
    )
    for label, code in (
        ("reconcile --help", "from commands.reconcile import main\ntry: main(['--help'])\nexcept SystemExit: pass"),
        ("reconcile validate", validate),
        ("mcp-server --help", "from server.__main__ import main\ntry: main(['--help'])\nexcept SystemExit: pass"),
        ("oauth-callback --help", "from callback.__main__ import main\ntry: main(['--help'])\nexcept SystemExit: pass"),
    ):
        print(f"{label} imports: {', '.join(loaded(code, env)) or 'none of ' + ', '.join(HEAVY)}")


def warm_plans(plans: int) -> list[float]:
    """Wall seconds of each `reconcile plan` after the first, in this process, against a sandbox thread."""
    from click.testing import CliRunner

    from commands.reconcile import main
    from sandbox.server import Sandbox

    with tempfile.TemporaryDirectory() as scratch, Sandbox() as sandbox:
        shutil.copy(ROOT / "stack.yaml", Path(scratch) / "stack.yaml")
        shutil.copytree(ROOT / "openapi", Path(scratch) / "openapi")
        issuer = {"OIDC_DISCOVERY_URL": f"{sandbox.url}/oidc/.well-known/openid-configuration"}
        env = {**sandbox.environ, **STACK_ENV, **issuer}
        os.environ.update(env)
        os.chdir(scratch)
        runner = CliRunner()
        applied = runner.invoke(main, ["apply", "--auto-approve"], catch_exceptions=False)
        assert applied.exit_code == 0, applied.output
        walls = []
        for _ in range(plans + 1):
            start = time.perf_counter()
            result = runner.invoke(main, ["plan", "--detailed-exitcode"], catch_exceptions=False)
            walls.append(time.perf_counter() - start)
            assert result.exit_code == 0, result.output
        os.chdir(ROOT)
    return walls[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--plans", type=int, default=5, help="warm plans to time (0: none)")
    parser.add_argument("--no-bytecode", action="store_true", help="start every process without cached bytecode")
    args = parser.parse_args()
    startup(args.runs, bytecode=not args.no_bytecode)
    if args.plans == 0:
        return
    walls = warm_plans(args.plans)
    median = statistics.median(walls)
    print(
        f"warm in-process plan of the shipped stack (no-op, sandbox thread, no latency), {args.plans} plans: median "
        f"{median * 1000:.0f} ms, min {min(walls) * 1000:.0f}, max {max(walls) * 1000:.0f}; target <= 800 ms: "
        f"{'met' if median <= 0.8 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
