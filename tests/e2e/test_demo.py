"""The README's first command, run as CI runs it; and how the demo fails and cleans up."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from demo.errors import StepFailed, root_cause
from demo.processes import reserve_port
from demo.workdir import PREFIX, working_folder
from tests.conftest import ROOT

KEPT = re.compile(r"kept in (\S*" + PREFIX + r"\S+)")
WORKING_FILES = re.compile(r"working files in (\S*" + PREFIX + r"\S+)")


def _demo_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


@pytest.mark.parametrize(
    ("flags", "servers", "route"),
    [
        pytest.param(
            ["--keep"],
            "Start mcp-server (streamable HTTP) locally (oauth-callback is hosted on AWS Lambda)",
            "through an MCP client -> local mcp-server",
            id="local-mcp-server-kept-until-ctrl-c",
        ),
        pytest.param(
            ["--runtime"],
            "Nothing to start locally: mcp-server runs on AgentCore Runtime, oauth-callback on AWS Lambda",
            "through mcp-connect (SigV4) -> AgentCore Runtime (sandbox)",
            id="runtime-through-mcp-connect",
        ),
        pytest.param(
            ["--door", "oauth"],
            "Nothing to start locally: mcp-server runs on AgentCore Runtime, oauth-callback on AWS Lambda",
            "straight to AgentCore Runtime (sandbox), OAuth door",
            id="runtime-through-the-oauth-door",
        ),
    ],
)
def test_demo_command_runs_the_whole_mission(flags: list[str], servers: str, route: str) -> None:
    """Each route once; the local one with --keep (serving until Ctrl-C, then cleaning up), which runs the same
    mission before it waits: one demo run fewer for the suite."""
    keep = "--keep" in flags
    returncode, out = _until_ctrl_c(flags) if keep else _run(flags)
    assert returncode == 0, out[-6000:]
    assert servers in out and "Start mcp-server" not in out.replace(servers, "")
    first_call, again = _step(out, f"Call get_user_profile {route}"), _step(out, f"Call the tools again {route}")
    assert "Authorization needed." in first_call and "/oauth/start?link=" in first_call
    assert ".lambda-url.us-east-1.on.aws/oauth/start?link=" in first_call, first_call  # the hosted callback
    assert "linked GitHub for alice" in out
    signed_in = _step(out, "Sign in as demo user alice")  # on the identity provider's page, nothing minted
    assert ("registered as" in signed_in) == ("oauth" in flags), signed_in
    assert "signed in in headless Chromium" in signed_in, signed_in  # .ci/run installs it
    assert "alice (Alice Liddell)" in again and "alice/alice-project-" in again
    created = re.search(r"Plan: (\d+) to add", out)
    assert created and int(created.group(1)) > 0, out[-3000:]
    assert f"Destroy complete: {created.group(1)} resource(s) changed." in out and "Demo complete." in out
    assert not (ROOT / "config.json").exists()
    if keep:
        served, _, after = out.partition("Everything stays up until Ctrl-C")
        assert after, "--keep serves until Ctrl-C"
        assert "mcp-proxy-for-aws@1.7.0" in after and "--client NAME" in after  # client entries: no token in them
        assert "Destroy complete" in after and "Demo complete." in after and "Destroy complete" not in served
        kept = KEPT.search(after)
        assert kept, "--keep keeps the working folder and says where it is"
        _remove(Path(kept.group(1)))
        return
    found = WORKING_FILES.search(out)
    assert found, out[-3000:]
    assert not Path(found.group(1).rstrip(";")).exists(), "a successful run removes its working folder"


def _run(flags: list[str]) -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, "-m", "commands", "demo", *flags],
        cwd=ROOT,
        env=_demo_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result.returncode, result.stdout + result.stderr


def _until_ctrl_c(flags: list[str]) -> tuple[int, str]:
    """The demo run until it says it serves until Ctrl-C, then interrupted as a person would."""
    import signal
    import threading
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "commands", "demo", *flags],
        cwd=ROOT,
        env=_demo_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + 300
    for line in proc.stdout:
        seen.append(line)
        if "Everything stays up until Ctrl-C" in line or time.monotonic() > deadline:
            break
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    # Read the rest through the same buffered stream: communicate(timeout=...) reads the raw pipe and
    # would skip lines the loop above already buffered.
    watchdog = threading.Timer(120, proc.kill)
    watchdog.start()
    try:
        rest = proc.stdout.read()
        proc.wait()
    finally:
        watchdog.cancel()
        proc.stdout.close()
    return proc.returncode, "".join(seen) + rest


def _step(out: str, title: str) -> str:
    """What the step titled `title...` printed, up to the next step."""
    found = re.search(r"\n\[\d+\] " + re.escape(title) + r"[^\n]*\n(.*?)(?=\n\[\d+\] )", out, re.S)
    assert found, f"no step {title!r} in:\n{out[-3000:]}"
    return found.group(1)


def test_a_failed_demo_names_its_step_and_keeps_its_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-stack.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "commands", "demo", "--stack", str(missing)],
        cwd=ROOT,
        env=_demo_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Demo failed: step 2 (Plan the shipped stack.yaml" in result.stderr
    kept = KEPT.search(result.stderr)
    assert kept, result.stderr
    folder = Path(kept.group(1))
    try:
        assert folder.is_dir()
        assert result.stderr.rstrip().splitlines()[-1].startswith("Demo failed: "), "the cause is the last line"
    finally:
        _remove(folder)


# The cleanup and failure reporting, without running a whole demo.


def test_a_successful_run_removes_its_folder(capsys: pytest.CaptureFixture[str]) -> None:
    with working_folder(keep=False) as folder:
        (folder / "mcp-server.log").write_text("started\n")
    assert not folder.exists()
    assert str(folder) not in capsys.readouterr().out


def test_keep_keeps_the_folder_and_names_it(capsys: pytest.CaptureFixture[str]) -> None:
    with working_folder(keep=True) as folder:
        pass
    try:
        assert folder.is_dir() and f"kept in {folder}" in capsys.readouterr().out
    finally:
        _remove(folder)


def test_a_failed_run_keeps_its_folder_names_it_and_shows_the_logs(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(StepFailed), working_folder(keep=False) as folder:
        lines = [f"line {n}" for n in range(1, 41)]
        (folder / "mcp-server.log").write_text("\n".join(lines) + "\nTraceback: the real cause\n")
        (folder / "oauth-callback.log").write_text("")
        raise StepFailed("step 7 failed")
    try:
        err = capsys.readouterr().err
        assert folder.is_dir() and f"kept in {folder}" in err
        assert "mcp-server.log: last 30 line(s)" in err and "Traceback: the real cause" in err
        assert "line 12" in err and "line 11\n" not in err
        assert "oauth-callback.log: last 0 line(s)" in err
    finally:
        _remove(folder)


def test_root_cause_reaches_inside_exception_groups() -> None:
    import httpx

    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except OSError as refused:
            raise httpx.ConnectError("All connection attempts failed") from refused
    except httpx.ConnectError as error:
        group = ExceptionGroup("unhandled errors in a TaskGroup", [ExceptionGroup("inner", [error])])
    assert root_cause(group) == (
        "httpx.ConnectError: All connection attempts failed "
        "(from ConnectionRefusedError: [Errno 111] Connection refused)"
    )
    assert root_cause(ExceptionGroup("two", [TimeoutError(), ValueError("bad")])) == (
        "TimeoutError (no message); ValueError: bad"
    )


def test_a_reserved_port_is_not_picked_twice_but_its_server_can_bind_it() -> None:
    first = reserve_port(0)
    try:
        with socket.socket() as other:
            with pytest.raises(OSError):
                other.bind(("127.0.0.1", first.number))  # what another demo's choice of port does
        second = reserve_port(first.number)
        assert second.number != first.number
        second.release()
        if sys.platform.startswith("linux"):
            with socket.socket() as server:  # what uvicorn does
                server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                server.bind(("127.0.0.1", first.number))
                server.listen()
    finally:
        first.release()


def _remove(folder: Path) -> None:
    import shutil

    assert PREFIX in folder.name
    shutil.rmtree(folder, ignore_errors=True)
