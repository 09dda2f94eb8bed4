"""`oauth-callback` run as a process at every log level through a whole confirmation - sign-in,
confirmation page, CompleteResourceTokenAuth - with its stderr searched for the user's token (issue
12, item 4). At `--log-level debug` botocore used to print the request body, JWT included."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from demo.browser import Browser
from handoff.links import digest
from handoff.sqlite_sessions import SqliteSessionStore
from sandbox.server import Sandbox
from tests.asgi import free_port
from tests.sandbox.helpers import apply_stack, call_tool, mint
from tests.sessions import link_for, record

LEVELS = [pytest.param(["--log-level", level], id=level) for level in ("debug", "info", "warning", "error")] + [
    pytest.param(["--log-level", "debug", "--library-log-level", "debug"], id="debug-with-libraries")
]


@contextmanager
def callback_process(workdir: Path, port: int, args: list[str], log: Path) -> Iterator[str]:
    command = [sys.executable, "-m", "callback", "--config", str(workdir / "config.json"), "--port", str(port)]
    with log.open("w") as stderr:
        process = subprocess.Popen([*command, *args], stdout=subprocess.DEVNULL, stderr=stderr, env={**os.environ})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # a hang guard: starting took up to 30 s at load 9 on 2 cores
        while True:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def recorded_elsewhere(workdir: Path, token: str) -> str:
    """A second session of the same user, whose consent link was opened in some other browser."""
    uri = "urn:ietf:params:oauth:request_uri:opened-elsewhere"
    store = SqliteSessionStore(workdir / "oauth-sessions.sqlite3")
    record(store, uri, token)
    store.bind_browser(uri, digest("c" * 43))
    return uri


@pytest.mark.parametrize("args", LEVELS)
def test_oauth_callback_never_logs_the_token(
    sandbox: Sandbox, workdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    port = free_port()
    monkeypatch.setenv("CALLBACK_URL", f"http://127.0.0.1:{port}/oauth/callback")
    config = apply_stack()
    alice = mint(sandbox.url, "alice")
    reply = call_tool(config["gateway"]["url"], "GitHubTarget___getAuthenticatedUser", token=alice)
    link = reply["error"]["data"]["elicitations"][0]["url"]
    session_uri = link.split("request_uri=")[1].replace("%3A", ":")
    value = record(SqliteSessionStore(workdir / "oauth-sessions.sqlite3"), session_uri, alice, authorization_url=link)
    log = tmp_path / "oauth-callback.log"
    with callback_process(workdir, port, args, log), Browser("alice") as browser:
        landing = browser.approve(browser.open(link_for(f"http://127.0.0.1:{port}", value)))
        done = browser.confirm(landing)
        assert done.status_code == 200 and "id='done'" in done.text
        again = browser.open(str(landing.url))  # a second try: refused, and logged as such
        assert again.status_code == 409
        with Browser("bob") as bob:  # a landing from another browser: cancelled, and logged as such
            other = recorded_elsewhere(workdir, alice)
            assert bob.open(f"http://127.0.0.1:{port}/oauth/callback?session_id={other}").status_code == 403
    profile = call_tool(config["gateway"]["url"], "GitHubTarget___getAuthenticatedUser", token=alice)
    assert '"login": "alice"' in profile["result"]["content"][0]["text"]
    output = log.read_text()
    if "--library-log-level" in args:
        assert "CompleteResourceTokenAuth" in output or "complete_resource_token_auth" in output.lower()
    assert alice not in output and alice.split(".")[1] not in output and alice.split(".")[2] not in output
