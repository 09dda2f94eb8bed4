"""`mcp-server --workers N`: refused where it cannot be right (stateful, stdio); with two worker
processes, concurrent calls all answered and every consent session recorded in the shared SQLite store."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest

from handoff.sqlite_sessions import SqliteSessionStore
from tests.asgi import free_port, serving_asgi
from tests.server.wire_cases import BASE_HEADERS, ISSUED, LEGACY, call, fake_gateway, make_tools

HEADERS = {**BASE_HEADERS, "MCP-Protocol-Version": LEGACY}


def run_server(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        pytest.param(["--stateful"], "needs the stateless server", id="stateful"),
        pytest.param(["--transport", "stdio"], "is for the HTTP transport", id="stdio"),
    ],
)
def test_workers_are_refused_where_they_cannot_be_right(tmp_path: Path, args: list[str], reason: str) -> None:
    make_tools("http://127.0.0.1:9/mcp", tmp_path)  # writes config.json
    done = run_server("--config", str(tmp_path / "config.json"), "--workers", "2", *args)
    assert done.returncode == 1 and reason in done.stderr


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[str, Path, int]]:
    with serving_asgi(fake_gateway) as gateway:
        make_tools(f"{gateway}/mcp", tmp_path)
        port = free_port()
        args = ["--config", str(tmp_path / "config.json"), "--port", str(port), "--workers", "2"]
        process = subprocess.Popen(
            [sys.executable, "-m", "server", *args, "--log-level", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None and time.monotonic() < deadline, "mcp-server did not start"
                try:
                    if httpx2.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                        break
                except httpx2.TransportError:
                    time.sleep(0.1)
            yield f"http://127.0.0.1:{port}/mcp", tmp_path / "oauth-sessions.sqlite3", process.pid
        finally:
            process.terminate()
            process.wait(timeout=20)


def test_two_workers_answer_concurrent_calls_and_share_the_session_store(two_workers: tuple[str, Path, int]) -> None:
    url, store_path, pid = two_workers
    assert len(children(pid)) >= 2
    issued_before = len(ISSUED)

    def one(index: int) -> dict[str, object]:
        token = "consent" if index % 2 else "ok"
        body = json.dumps(call("get_user_profile", id=index)).encode()
        answer = httpx2.post(url, content=body, headers={**HEADERS, "Authorization": f"Bearer {token}"}, timeout=30)
        assert answer.status_code == 200
        return dict(answer.json())

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(one, range(64)))
    for index, answer in enumerate(answers):
        result = answer["result"]
        assert answer["id"] == index and isinstance(result, dict) and result["isError"] is False
        needs_consent = result["structuredContent"]["authorization_required"] is not None
        assert needs_consent == bool(index % 2)
    issued = ISSUED[issued_before:]
    store = SqliteSessionStore(store_path)
    assert len(issued) == 32 and all(store.get(uri).identifier == "consent" for uri in issued)
