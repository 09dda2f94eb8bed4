"""Run the sandbox on 127.0.0.1, in a thread (tests, the demo) or in the foreground (`reconcile sandbox`)."""

from __future__ import annotations

import os
import threading
from types import TracebackType
from typing import Any

from moto.moto_api._internal.models import moto_api_backend
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox import moto_fidelity
from sandbox.app import SandboxApp
from sandbox.consistency import Mode, mode_from_env, set_mode
from sandbox.identity_control import ACCOUNT
from sandbox.sigv4 import AccountKeys

ACCESS_KEY = "sandbox"
SECRET_KEY = "sandbox-secret"
REGION = "us-east-1"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class Sandbox:
    """`with Sandbox() as sb: os.environ.update(sb.environ)`; port 0 picks a free port.

    `consistency="eventual"` (or SANDBOX_CONSISTENCY=eventual) makes the first Get after a gateway or
    target Create not-found and the first Get after an Update stale (sandbox.consistency); the mode
    is process-wide, like moto's state.

    `latency` (seconds, or SANDBOX_LATENCY_MS) delays every answer, like a round trip to a far
    region: what a plan's parallelism saves is measured against it (bench/plan_latency.py).
    """

    def __init__(
        self, port: int = 0, host: str = "127.0.0.1", *, consistency: Mode | None = None, latency: float | None = None
    ):
        self.consistency: Mode = consistency or mode_from_env()
        moto_fidelity.install(self.consistency)
        delay = latency if latency is not None else float(os.environ.get("SANDBOX_LATENCY_MS", "0")) / 1000
        self.app = SandboxApp(AccountKeys({ACCESS_KEY: SECRET_KEY}, ACCOUNT), latency=delay)
        self._server: BaseWSGIServer = make_server(host, port, self.app, threaded=True, request_handler=_QuietHandler)
        self._thread: threading.Thread | None = None
        self.resets = 0
        """How many times reset() ran: a test fixture that keeps an applied stack between tests knows it is gone."""
        moto_fidelity.gateway_url_base["value"] = self.url

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def environ(self) -> dict[str, str]:
        """What boto3 needs to talk to the sandbox instead of AWS."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
        }

    def reset(self) -> None:
        """Forget every resource (moto's and ours): a clean account for the next test."""
        moto_api_backend.reset()
        moto_fidelity.settle_after_one_read()
        set_mode(self.consistency)
        self.app.reset()
        self.resets += 1

    def forget_users(self) -> None:
        """Forget what users did (3LO sessions, the token vault, GitHub grants) and keep every resource: the
        account as a new set of users would find it."""
        self.app.forget_users()

    def set_consistency(self, mode: Mode) -> None:
        """Switch the mode until the next reset() (which restores the one this Sandbox was built with)."""
        set_mode(mode)

    def start(self) -> Sandbox:
        self._thread = threading.Thread(target=self._server.serve_forever, name="sandbox", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self.app.close()
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
