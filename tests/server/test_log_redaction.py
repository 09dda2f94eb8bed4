"""No credential in the logs (issue 12, item 4): the redacting filter of handoff/logs.py, and
`mcp-server` run as a process at every log level through a whole authorization, its stderr searched
for the user's token. (oauth-callback's own run is in tests/callback/test_log_redaction.py.)"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path

import httpx
import pytest

from handoff.logs import REDACTED, RedactCredentials, configure_logging, redact
from tests.asgi import free_port
from tests.sandbox.helpers import mint
from tests.server.conftest import TOKEN_HEADER, Stack, connect
from tests.server.test_tools import authorize

JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlX2J5dGVzX2hlcmU"
LEVELS = [pytest.param(["--log-level", level], id=level) for level in ("debug", "info", "warning", "error")] + [
    pytest.param(["--log-level", "debug", "--library-log-level", "debug"], id="debug-with-libraries")
]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"Authorization: Bearer {JWT}", id="bearer-header"),
        pytest.param("authorization: bearer gho_opaque0123456789abcdef", id="lowercase-bearer-opaque"),
        pytest.param(f'b\'{{"userIdentifier": {{"userToken": "{JWT}"}}}}\'', id="botocore-body"),
        pytest.param(f"GET /x?token={JWT}&a=1", id="jwt-in-a-url"),
        pytest.param("GET /oauth/signed-in?code=abcdefgh12345678&state=s", id="authorization-code"),
        pytest.param("vaulted gho_sandbox_0123456789abcdef0123", id="github-token"),
    ],
)
def test_redact_removes_credentials(text: str) -> None:
    cleaned = redact(text)
    assert REDACTED in cleaned
    assert JWT not in cleaned and "gho_" not in cleaned and "abcdefgh12345678" not in cleaned


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "gateway answered HTTP 503 (attempt 1), retrying; send `Authorization: Bearer <your JWT>`"
    assert redact(text) == text


def test_filter_covers_arguments_exceptions_and_stacks() -> None:
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactCredentials())
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("token %s and %r", JWT, {"userToken": JWT})
        try:
            raise ValueError(f"bad token {JWT}")
        except ValueError:
            logger.exception("failed")
        logger.warning("with a stack", stack_info=True, extra={"token": JWT})
        logger.warning("broken format %d", JWT)  # a library's bad format string
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "ValueError" in output and "failed" in output and JWT not in output


def test_configure_logging_pins_libraries_and_guards_every_handler() -> None:
    root = logging.getLogger()
    saved = list(root.handlers), root.level, {n: logging.getLogger(n).level for n in ("botocore", "httpx", "mcp")}
    stream = StringIO()
    try:
        configure_logging("debug", stream=stream)
        assert logging.getLogger("botocore").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("server.app").getEffectiveLevel() == logging.DEBUG
        logging.getLogger("botocore.endpoint").debug("Making request with body %s", JWT)  # pinned: not shown
        logging.getLogger("server.app").debug("forwarding Bearer %s", JWT)
        configure_logging("debug", library_level="debug", stream=stream)
        logging.getLogger("botocore.endpoint").debug("Making request with body %s", JWT)  # asked for: redacted
        assert all(any(isinstance(f, RedactCredentials) for f in h.filters) for h in root.handlers)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)
    output = stream.getvalue()
    assert output.count("Making request") == 1 and "forwarding Bearer [redacted]" in output
    assert JWT not in output


@contextmanager
def mcp_server_process(stack: Stack, args: list[str], log: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "server", "--config", str(stack.workdir / "config.json"), "--port", str(port)]
    with log.open("w") as stderr:
        process = subprocess.Popen([*command, *args], stdout=subprocess.DEVNULL, stderr=stderr, env={**os.environ})
    try:
        deadline = time.monotonic() + 90  # a hang guard: starting took up to 30 s at load 9 on 2 cores
        while True:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=20)


pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize("args", LEVELS)
async def test_mcp_server_never_logs_the_token(stack: Stack, tmp_path: Path, args: list[str]) -> None:
    alice = mint(stack.sandbox.url, "alice")
    log = tmp_path / "mcp-server.log"
    with mcp_server_process(stack, args, log) as url:
        async with connect(url, headers={"Authorization": f"bearer {alice}"}) as client:
            first = await client.call_tool("get_user_profile", {})
            authorize(stack, first.structured_content["authorization_required"]["url"], alice, login="alice")
            assert (await client.call_tool("get_user_profile", {})).structured_content["login"] == "alice"
        async with connect(url, headers={TOKEN_HEADER: f"Bearer {alice}"}) as client:
            await client.call_tool("get_user_repos", {"per_page": 2})
        async with connect(url, headers={"Authorization": f"Bearer {alice}x"}) as client:
            assert (await client.call_tool("get_user_profile", {})).is_error  # rejected by the gateway
        httpx.post(url, content=b"{not json " + alice.encode(), headers={"Authorization": f"Bearer {alice}"})
    output = log.read_text()
    if "debug" in args:
        assert "DEBUG" in output
    assert alice not in output and alice.split(".")[1] not in output and "gho_" not in output
