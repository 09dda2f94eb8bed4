"""Execution environments of sandbox Lambda functions: the zip uploaded for the function (moto keeps its bytes),
unzipped into a temporary folder and run by the runtime stand-in (sandbox/lambda_bootstrap.py) with the
function's handler, so that the deployed artifact answers its function URL, not the code beside the sandbox.

An environment starts at the first invocation after a create or a settled update (a cold start, as on AWS)
and serves one event at a time; it is replaced when the function's code or configuration changes (its
`sandbox_revision`), and stopped when the function is deleted or the sandbox resets. The interpreter is
the Python the function's Runtime names (`python3.12` -> 3.12, sandbox.runtime_code.interpreter).

Environment of the process: the function's variables, then what Lambda defines (developer guide, "Defined
runtime environment variables": _HANDLER, AWS_REGION, AWS_LAMBDA_FUNCTION_NAME, ..., credentials; here the
sandbox's own keys, on AWS the execution role's) and AWS_ENDPOINT_URL (the sandbox).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from sandbox.outbound import http_client
from sandbox.runtime_code import interpreter

BOOTSTRAP = Path(__file__).with_name("lambda_bootstrap.py")
START_TIMEOUT_SECONDS = 60.0


@dataclass
class Environment:
    process: subprocess.Popen[bytes]
    directory: Path
    port: int
    revision: tuple[int, int]
    """The function object's id and its sandbox_revision: a recreated or changed function gets a new environment."""
    lock: threading.Lock
    started: float

    def log_tail(self) -> str:
        log = self.directory / "process.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""


class FunctionFailed(Exception):
    """The function's init or invocation failed (the function URL answers 502)."""


class Environments:
    def __init__(self, credentials: dict[str, str]) -> None:
        self.access_key, self.secret_key = next(iter(credentials.items()))
        self.lock = threading.Lock()
        self.running: dict[str, Environment] = {}
        self.http = http_client()

    def invoke(self, function: Any, event: dict[str, Any], *, base_url: str) -> Any:
        """The handler's result for `event`; raises FunctionFailed (init error, handler error, timeout)."""
        environment = self._environment(function, base_url=base_url)
        with environment.lock:
            try:
                answer = self.http.post(
                    f"http://127.0.0.1:{environment.port}/invoke",
                    content=json.dumps(event),
                    timeout=float(function.timeout),
                )
            except httpx.TimeoutException:
                self.stop(function.function_arn)  # AWS ends an environment whose invocation timed out
                raise FunctionFailed(f"Task timed out after {float(function.timeout):.2f} seconds") from None
            except httpx.HTTPError as exc:
                raise FunctionFailed(f"the function's process did not answer: {exc}") from exc
        if answer.status_code != 200:
            raise FunctionFailed(f"the handler failed: {answer.text[:500]}")
        return answer.json()

    def stop(self, arn: str) -> None:
        with self.lock:
            environment = self.running.pop(arn, None)
        if environment is not None:
            _end(environment)

    def stop_all(self) -> None:
        with self.lock:
            environments, self.running = list(self.running.values()), {}
        for environment in environments:
            _end(environment)
        self.http.close()

    def _environment(self, function: Any, *, base_url: str) -> Environment:
        arn, revision = function.function_arn, (id(function), function.sandbox_revision)
        with self.lock:
            found = self.running.get(arn)
            if found is not None and found.revision == revision and found.process.poll() is None:
                return found
            if found is not None:
                del self.running[arn]
                _end(found)
            started = self.running[arn] = self._start(function, base_url=base_url)
        return started

    def _start(self, function: Any, *, base_url: str) -> Environment:
        python = interpreter("PYTHON_" + str(function.run_time).removeprefix("python").replace(".", "_"))
        if python is None:
            raise FunctionFailed(f"no Python for {function.run_time} on this machine")
        directory = Path(tempfile.mkdtemp(prefix="sandbox-lambda-"))
        try:
            zipfile.ZipFile(io.BytesIO(function.code_bytes)).extractall(directory / "task")
        except zipfile.BadZipFile:
            shutil.rmtree(directory, ignore_errors=True)
            raise FunctionFailed("the function's code is not a zip file") from None
        port = _free_port()
        region = function.region
        environ = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(directory),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            **function.environment_vars,
            "_HANDLER": function.handler or "",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.run_time}",
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(function.timeout),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "LAMBDA_TASK_ROOT": str(directory / "task"),
            "AWS_ENDPOINT_URL": base_url,
            "SANDBOX_FUNCTION_ARN": function.function_arn,
            "SANDBOX_INVOKE_PORT": str(port),
        }
        with (directory / "process.log").open("wb") as log:
            process = subprocess.Popen(
                [python, "-S", str(BOOTSTRAP)],
                cwd=directory / "task",
                env=environ,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        revision = (id(function), function.sandbox_revision)
        environment = Environment(process, directory, port, revision, threading.Lock(), time.time())
        try:
            _wait_until_listening(environment)
        except FunctionFailed:
            _end(environment)
            raise
        return environment


def _end(environment: Environment) -> None:
    if environment.process.poll() is None:
        environment.process.terminate()
        try:
            environment.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            environment.process.kill()
            environment.process.wait()
    shutil.rmtree(environment.directory, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_listening(environment: Environment) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if environment.process.poll() is not None:
            raise FunctionFailed(f"Runtime.ImportModuleError or init failure: {environment.log_tail()}")
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", environment.port)) == 0:
                return
        time.sleep(0.02)
    raise FunctionFailed(f"the function's init did not finish within {START_TIMEOUT_SECONDS:.0f} s")
