"""The sandbox's stand-in for Lambda's managed Python runtime: run by sandbox.lambda_code as
`python -S lambda_bootstrap.py` in the unzipped code (the function's /var/task), never imported.

Like AWS's runtime it imports the handler (`_HANDLER`, `module.function`) once, at init, with the code's
folder first on sys.path and nothing else of this machine's site-packages (-S): a dependency missing from
the zip fails here as on AWS (Runtime.ImportModuleError). It then takes one event at a time: `POST /invoke`
with the event as JSON, answered with the handler's result as JSON (200) or the error as Lambda reports it
(`errorType`, `errorMessage`; 500). Standard library only.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any


class Context:
    """The fields of Lambda's context object that ASGI adapters read."""

    def __init__(self, request_id: str) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.invoked_function_arn = os.environ.get("SANDBOX_FUNCTION_ARN", "")
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "sandbox"

    def get_remaining_time_in_millis(self) -> int:
        return int(float(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "3")) * 1000)


def load_handler() -> Any:
    module_name, _, function = os.environ["_HANDLER"].rpartition(".")
    sys.path.insert(0, os.getcwd())
    return getattr(importlib.import_module(module_name), function)


def serve(handler: Any, port: int) -> None:
    class Invocations(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            event = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            try:
                status, body = 200, handler(event, Context(self.headers.get("X-Request-Id", "")))
            except Exception as exc:  # the function's error, reported as Lambda reports it
                traceback.print_exc()
                status, body = 500, {"errorType": type(exc).__name__, "errorMessage": str(exc)}
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            pass

    HTTPServer(("127.0.0.1", port), Invocations).serve_forever()


if __name__ == "__main__":
    serve(load_handler(), int(os.environ["SANDBOX_INVOKE_PORT"]))
