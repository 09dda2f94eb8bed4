"""The hosted OAuth callback (issue 22) as the sandbox runs it: the shipped stack applied, its callback zip on
the sandbox's Lambda behind a function URL. Measured in one run:

- cold start: the first request after apply (the sandbox starts the function's process from the uploaded zip,
  reads its configuration from SSM, then answers), against a warm request;
- warm page latency: N GETs of the callback's home page through the function URL (the sandbox's Lambda hop:
  payload format 2.0 event, mangum, the app) against the same app run locally by `oauth-callback` (uvicorn,
  the baseline) and against the sandbox's own health page (its web server's round trip with no app, which
  every function URL request pays first: the floor of the hosted path);
- the zip: its size, and the import time of its handler module against `oauth-callback --help`.

The sandbox is not AWS: its cold start has no download, no Firecracker VM, no network; the figures compare our
layers with each other on one machine, not with Lambda's.

    uv run python bench/callback_latency.py [--calls 200]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import httpx

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("SERVER_SOURCE", str(ROOT))
sys.path.insert(0, str(ROOT))

from bench.runtime_latency import apply_stack  # noqa: E402
from bench.startup import measure  # noqa: E402
from demo.function_urls import client as function_url_client  # noqa: E402
from demo.processes import reserve_port  # noqa: E402
from sandbox.cli import DEMO_ENV  # noqa: E402
from sandbox.server import Sandbox  # noqa: E402


def timed(get: httpx.Client, url: str, calls: int) -> list[float]:
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        response = get.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
    return samples


def line(label: str, samples: list[float], floor: float, baseline: float) -> str:
    p50, p90 = statistics.median(samples), statistics.quantiles(samples, n=10)[-1]
    return (
        f"{label:44s} p50 {p50:7.2f} ms   p90 {p90:7.2f} ms   {p50 / floor:4.1f}x floor {p50 / baseline:4.1f}x baseline"
    )


def process_ms(args: list[str], runs: int = 5) -> float:
    """Median wall milliseconds of `args` as a whole process (bench/startup.py's measure)."""
    return statistics.median(measure(args, runs, dict(os.environ))[0]) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    calls = parser.parse_args().calls
    work = Path(tempfile.mkdtemp(prefix="callback-bench-"))
    with Sandbox() as sandbox:
        os.environ.update(
            {
                **sandbox.environ,
                **DEMO_ENV,
                "OIDC_DISCOVERY_URL": f"{sandbox.url}/oidc/.well-known/openid-configuration",
            }
        )
        os.environ.pop("CALLBACK_URL", None)  # the stack's own: the function URL
        apply_stack(work)
        callback_url = json.loads((work / "config.json").read_text())["callback_url"]
        hosted_home = callback_url.removesuffix("oauth/callback")
        with function_url_client(sandbox.url, timeout=60) as browser, httpx.Client(timeout=60) as plain:
            start = time.perf_counter()
            first = browser.get(hosted_home)
            cold = (time.perf_counter() - start) * 1000
            if first.status_code != 200:
                raise SystemExit(f"cold request: HTTP {first.status_code} {first.text[:200]}")
            timed(browser, hosted_home, 5)  # settle
            floor = statistics.median(timed(plain, f"{sandbox.url}/__sandbox/health", calls))
            hosted = timed(browser, hosted_home, calls)
            port = reserve_port(0)
            port.release()
            local = subprocess.Popen(
                [sys.executable, "-m", "callback", "--config", str(work / "config.json"), "--port", str(port.number)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                local_home = f"http://127.0.0.1:{port.number}/"
                for _ in range(200):
                    try:
                        if plain.get(local_home).status_code == 200:
                            break
                    except httpx.HTTPError:
                        time.sleep(0.05)
                baseline = timed(plain, local_home, calls)
            finally:
                local.terminate()
                local.wait(10)
        s3 = boto3.client("s3")
        sizes = {
            o["Key"]: o["Size"]
            for b in s3.list_buckets()["Buckets"]
            for o in s3.list_objects_v2(Bucket=b["Name"]).get("Contents", [])
        }
        zip_size = next(size for key, size in sizes.items() if "callback" in key.split("/")[1])
    python = sys.executable
    handler_import = process_ms([python, "-c", "import callback.lambda_handler"])
    help_ms = process_ms([python, "-m", "callback", "--help"])
    floor_ms = process_ms([python, "-c", "pass"])
    print(f"calls per series: {calls}; load average {os.getloadavg()[0]:.2f}")
    print(f"{'floor: the sandbox health page (no app)':44s} p50 {floor:7.2f} ms")
    local_p50 = statistics.median(baseline)
    print(line("baseline: oauth-callback locally (uvicorn)", baseline, floor, local_p50))
    print(line("hosted: function URL -> sandbox Lambda", hosted, floor, local_p50))
    print(f"cold start (first request after apply): {cold:.0f} ms = {cold / statistics.median(hosted):.0f}x a warm one")
    print(f"callback zip: {zip_size / 1e6:.1f} MB")
    print(
        f"import callback.lambda_handler {handler_import:.0f} ms; oauth-callback --help {help_ms:.0f} ms; "
        f"python -c pass {floor_ms:.0f} ms (whole processes, medians of 5)"
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
