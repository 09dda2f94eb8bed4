"""The deployed code of sandbox runtimes: the zip uploaded to the sandbox's S3 (moto), unzipped into
a temporary directory, its entry point run on a free loopback port, so that the artifact itself
answers InvokeAgentRuntime, not the code checked out beside the sandbox.

A version's process starts at its first invocation (AWS starts a session's microVM on demand) and
stops when the DEFAULT endpoint moves to a newer version, when the runtime is deleted, or with the
sandbox. It runs `python -S ENTRY` in the unzipped directory: -S keeps this machine's site-packages
out, so a dependency missing from the zip fails here as it would on AWS. The interpreter is the
Python the runtime names (`PYTHON_3_12` -> 3.12): this one if the versions agree, else one that
`uv python find` knows; otherwise the version fails (CREATE_FAILED/UPDATE_FAILED) with the reason.

Environment: the runtime's environmentVariables, AWS_REGION and credentials (on AWS, the execution
role's; here the sandbox's own keys), and, set by the sandbox over anything else, AWS_ENDPOINT_URL
(the sandbox) and a PORT that is not the contract's. The code runs under sandbox.runtime_launch's
launcher: it must listen on the protocolConfiguration port (8000 for MCP), which the launcher maps to
a free loopback port.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from moto.s3.models import s3_backends

from sandbox.errors import AwsError
from sandbox.identity_control import ACCOUNT as DEFAULT_ACCOUNT_ID
from sandbox.runtime_launch import CONTRACT_PORT_VARIABLE, DECOY_PORT, LAUNCHER, LAUNCHER_FILE, contract_port
from sandbox.runtime_requests import CodeLocation, code_location

START_TIMEOUT_SECONDS = 60.0


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    directory: Path
    port: int

    def log_tail(self) -> str:
        log = self.directory / "process.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""


class DeployedCode:
    def __init__(self, credentials: dict[str, str]) -> None:
        self.access_key, self.secret_key = next(iter(credentials.items()))
        self.lock = threading.Lock()
        self.running: dict[tuple[str, str], Running] = {}

    def problem(self, document: dict[str, Any]) -> str | None:
        """Why this version's code cannot run, or None: checked when a create or update settles."""
        try:
            location = code_location(document["agentRuntimeArtifact"])
            names = set(zipfile.ZipFile(io.BytesIO(_fetch(location))).namelist())
        except AwsError as exc:
            return exc.message
        except zipfile.BadZipFile:
            return "the code artifact in S3 is not a zip file"
        script = location.entry_point[-1]
        if len(location.entry_point) != 1 or not script.endswith(".py"):
            return f"the sandbox runs a single .py entry point, not {list(location.entry_point)}"
        if script not in names:
            return f"entry point {script} is not in the code artifact"
        if interpreter(location.runtime) is None:
            return f"no Python for {location.runtime} on this machine (the sandbox runs the version the runtime names)"
        return None

    def port_for(self, runtime_id: str, version: str, document: dict[str, Any], *, region: str, base_url: str) -> int:
        """The loopback port of this version's process, started (and waited for) on first use."""
        with self.lock:
            running = self.running.get((runtime_id, version))
            if running is not None and running.process.poll() is None:
                return running.port
            if running is not None:
                self._remove((runtime_id, version))
            running = self._start(document, region=region, base_url=base_url)
            self.running[(runtime_id, version)] = running
        return running.port

    def stop(self, runtime_id: str) -> None:
        with self.lock:
            for key in [key for key in self.running if key[0] == runtime_id]:
                self._remove(key)

    def stop_all(self) -> None:
        with self.lock:
            for key in list(self.running):
                self._remove(key)

    def _start(self, document: dict[str, Any], *, region: str, base_url: str) -> Running:
        location = code_location(document["agentRuntimeArtifact"])
        python = interpreter(location.runtime)
        if python is None:
            raise AwsError("RuntimeClientError", f"no Python for {location.runtime} on this machine", 424)
        directory = Path(tempfile.mkdtemp(prefix="sandbox-runtime-"))
        zipfile.ZipFile(io.BytesIO(_fetch(location))).extractall(directory / "code")
        port = _free_port()
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(directory),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            **(document.get("environmentVariables") or {}),
            "AWS_ENDPOINT_URL": base_url,
            "PORT": DECOY_PORT,
            CONTRACT_PORT_VARIABLE: f"{contract_port(document)}:{port}",
        }
        (directory / LAUNCHER_FILE).write_text(LAUNCHER)
        with (directory / "process.log").open("wb") as log:
            process = subprocess.Popen(
                [python, "-S", str(directory / LAUNCHER_FILE), location.entry_point[-1]],
                cwd=directory / "code",
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        running = Running(process, directory, port)
        _wait_until_listening(running)
        return running

    def _remove(self, key: tuple[str, str]) -> None:
        running = self.running.pop(key)
        if running.process.poll() is None:
            running.process.terminate()
            try:
                running.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                running.process.kill()
                running.process.wait()
        shutil.rmtree(running.directory, ignore_errors=True)


def _fetch(location: CodeLocation) -> bytes:
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["global"]
    try:
        key = backend.get_object(location.bucket, location.key, version_id=location.version_id)
    except Exception as exc:  # moto raises MissingBucket / MissingKey / MissingVersion
        raise AwsError("ValidationException", f"s3://{location.bucket}/{location.key}: {type(exc).__name__}") from exc
    if key is None:
        raise AwsError("ValidationException", f"s3://{location.bucket}/{location.key} does not exist")
    return bytes(key.value)


@cache
def interpreter(runtime: str) -> str | None:
    """The Python for a runtime enum value (PYTHON_3_12 -> 3.12), or None when this machine has none."""
    version = runtime.removeprefix("PYTHON_").replace("_", ".")
    if not runtime.startswith("PYTHON_"):
        return None
    if version == f"{sys.version_info.major}.{sys.version_info.minor}":
        return sys.executable
    uv = shutil.which("uv")
    if uv is None:
        return None
    found = subprocess.run([uv, "python", "find", "--no-project", version], capture_output=True, text=True)
    return found.stdout.strip() or None if found.returncode == 0 else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_listening(running: Running) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise AwsError(
                "RuntimeClientError",
                f"the runtime's process exited with {running.process.returncode}: {running.log_tail()}",
                424,
            )
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", running.port)) == 0:
                return
        time.sleep(0.05)
    running.process.kill()
    raise AwsError(
        "RuntimeClientError", f"the runtime's process did not listen within {START_TIMEOUT_SECONDS:.0f} s", 424
    )
