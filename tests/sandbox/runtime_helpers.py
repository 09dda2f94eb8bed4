"""Setting up sandbox runtimes as a deployer would: an execution role, a zip in S3, CreateAgentRuntime."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3

BUCKET = "runtime-artifacts"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "bedrock-agentcore.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
# A stand-in for the deployed server: answers every POST with what reached it (path, headers, body, env).
ECHO_SERVER = """
import json, os
from http.server import BaseHTTPRequestHandler, HTTPServer

class Echo(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        seen = {"path": self.path, "headers": dict(self.headers), "body": body,
                "env": {k: v for k, v in os.environ.items() if k.startswith(("APP_", "PORT", "AWS_REGION"))}}
        data = json.dumps(seen).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

HTTPServer(("0.0.0.0", 8000), Echo).serve_forever()  # the Runtime's MCP contract, whatever PORT says
"""


def execution_role(name: str = "runtime-role", trust: dict[str, Any] | None = None) -> str:
    iam = boto3.client("iam")
    return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust or TRUST))["Role"]["Arn"])


def zip_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def ensure_bucket() -> None:
    s3 = boto3.client("s3")
    if BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=BUCKET)


def upload(data: bytes, key: str = "echo.zip") -> str:
    ensure_bucket()
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=data)
    return key


def artifact(key: str, *, runtime: str = "PYTHON_3_11", entry: str = "main.py") -> dict[str, Any]:
    code = {"code": {"s3": {"bucket": BUCKET, "prefix": key}}, "runtime": runtime, "entryPoint": [entry]}
    return {"codeConfiguration": code}


def create_runtime(control: Any, role: str, key: str, **extra: Any) -> dict[str, Any]:
    arguments = {
        "agentRuntimeName": "echo_server",
        "agentRuntimeArtifact": artifact(key),
        "roleArn": role,
        "networkConfiguration": {"networkMode": "PUBLIC"},
        "protocolConfiguration": {"serverProtocol": "MCP"},
        **extra,
    }
    return dict(control.create_agent_runtime(**arguments))


def settle(control: Any, runtime_id: str) -> dict[str, Any]:
    """Reads until a new or updated runtime has settled (the sandbox: on the second read, see
    sandbox.runtime_control), as a waiter would; at most five reads."""
    for _ in range(5):
        runtime = dict(control.get_agent_runtime(agentRuntimeId=runtime_id))
        if runtime["status"] not in ("CREATING", "UPDATING"):
            return runtime
    raise AssertionError(f"runtime {runtime_id} still {runtime['status']} after five reads")
