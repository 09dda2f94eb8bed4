"""bench/server_overhead.py's load side: it refuses to run without wrk (saying how to install it) rather
than fall back to a Python load generator, and reads wrk's figures, failures included."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import wrk_load  # noqa: E402

OUTPUT = """Running 1s test @ http://127.0.0.1:18941/
  1 threads and 1 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   124.85us  373.13us   5.55ms   96.39%
    Req/Sec    14.87k     2.91k   18.73k    40.00%
  Latency Distribution
     50%   51.00us
     75%   76.00us
     90%  108.00us
     99%    2.00ms
  14792 requests in 1.00s, 5.43MB read
Requests/sec:  14760.50
Transfer/sec:      5.42MB
"""


def test_without_wrk_the_bench_stops_and_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wrk_load.shutil, "which", lambda _: None)
    with pytest.raises(SystemExit) as stopped:
        wrk_load.require_wrk()
    assert "apt-get install -y wrk" in str(stopped.value.code)


def test_wrk_figures_are_read_in_milliseconds() -> None:
    result = wrk_load.parse_wrk(OUTPUT)
    assert (result.requests, result.seconds, result.errors) == (14792, 1.0, 0)
    assert result.p50_ms == pytest.approx(0.051) and result.p99_ms == pytest.approx(2.0)


def test_failed_requests_are_counted() -> None:
    failing = OUTPUT.replace(
        "Requests/sec",
        "  Socket errors: connect 0, read 2, write 0, timeout 1\n  Non-2xx or 3xx responses: 4\nRequests/sec",
    )
    assert wrk_load.parse_wrk(failing).errors == 7


def test_the_lua_script_posts_the_body_with_the_headers() -> None:
    script = wrk_load.lua_script(b'{"jsonrpc":"2.0"}', {"Accept": "application/json"})
    assert 'wrk.method = "POST"' in script and '[==[{"jsonrpc":"2.0"}]==]' in script
    assert 'wrk.headers["Accept"] = [==[application/json]==]' in script
