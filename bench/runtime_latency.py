"""MCP latency through mcp-proxy-for-aws 1.7.0 to the server on the sandbox's AgentCore Runtime
(proxy -> InvokeAgentRuntime -> the packaged server from S3) against the proxy to the same server
run locally (proxy -> mcp-server), in one run. The difference is the runtime hop as the sandbox
models it (SigV4 check, header allowlist, one more loopback HTTP request), not AWS's network.

Per target: N `tools/list` (answered by the server alone) and N `tools/call get_user_profile` for
a user who has not consented (server -> gateway -> -32042 -> "authorization needed"), each timed
from the MCP client through the proxy's stdio; medians and p90.

    uv run python bench/runtime_latency.py [--calls 30]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import boto3
import httpx
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcp import Client, StdioServerParameters  # noqa: E402

from commands.reconcile import main as reconcile_main  # noqa: E402
from reconciler.packaging import ENTRY_POINT, host, package_server  # noqa: E402
from sandbox.cli import DEMO_ENV  # noqa: E402
from sandbox.server import Sandbox  # noqa: E402

TOKEN_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-User-Token"
TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},"Action":"sts:AssumeRole"}]}'


def apply_stack(workdir: Path) -> None:
    shutil.copy(ROOT / "stack.yaml", workdir / "stack.yaml")
    shutil.copytree(ROOT / "openapi", workdir / "openapi")
    os.chdir(workdir)
    result = CliRunner().invoke(reconcile_main, ["apply", "--auto-approve"], catch_exceptions=False)
    if result.exit_code != 0:
        raise SystemExit(result.output)


def deploy_runtime(workdir: Path) -> str:
    """The packaged server (this machine's platform) as a READY sandbox runtime; returns its ARN."""
    artifact = package_server(project_root=ROOT, platform=host(), progress=lambda _: None)
    s3, control = boto3.client("s3"), boto3.client("bedrock-agentcore-control")
    s3.create_bucket(Bucket="bench-artifacts")
    s3.put_object(Bucket="bench-artifacts", Key=artifact.key("bench"), Body=artifact.path.read_bytes())
    role = boto3.client("iam").create_role(RoleName="bench-runtime", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    code = {"s3": {"bucket": "bench-artifacts", "prefix": artifact.key("bench")}}
    created = control.create_agent_runtime(
        agentRuntimeName="bench_server",
        agentRuntimeArtifact={
            "codeConfiguration": {"code": code, "runtime": artifact.platform.runtime, "entryPoint": ENTRY_POINT}
        },
        roleArn=role,
        networkConfiguration={"networkMode": "PUBLIC"},
        protocolConfiguration={"serverProtocol": "MCP"},
        requestHeaderConfiguration={"requestHeaderAllowlist": [TOKEN_HEADER]},
        environmentVariables={"MCP_SERVER_CONFIG": str(workdir / "config.json")},
    )
    for _ in range(3):
        if control.get_agent_runtime(agentRuntimeId=created["agentRuntimeId"])["status"] == "READY":
            return str(created["agentRuntimeArn"])
    raise SystemExit("the runtime did not become READY")


def local_server(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "server", "--config", str(workdir / "config.json"), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
            return process
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the local mcp-server did not start")


def proxy(url: str, sandbox: Sandbox, token: str) -> StdioServerParameters:
    uv = shutil.which("uv")
    assert uv, "uv runs mcp-proxy-for-aws in its own environment"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **sandbox.environ}
    env.pop("AWS_ENDPOINT_URL")
    arguments = ["tool", "run", "--from", "mcp-proxy-for-aws==1.7.0", "mcp-proxy-for-aws", url]
    arguments += ["--service", "bedrock-agentcore", "--region", "us-east-1", "--header", f"{TOKEN_HEADER}={token}"]
    return StdioServerParameters(command=uv, args=[*arguments, "--disable-telemetry"], env=env)


async def timed(calls: int, action: Callable[[], Awaitable[Any]]) -> list[float]:
    await action()  # warm: the runtime's process starts on its first invocation
    seconds = []
    for _ in range(calls):
        started = time.perf_counter()
        await action()
        seconds.append(time.perf_counter() - started)
    return seconds


async def measure(params: StdioServerParameters, calls: int) -> dict[str, list[float]]:
    async with Client(params, mode="legacy") as client:
        return {
            "tools/list": await timed(calls, client.list_tools),
            "tools/call": await timed(calls, lambda: client.call_tool("get_user_profile", {})),
        }


def summary(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    return f"p50 {statistics.median(ordered) * 1000:6.1f} ms  p90 {ordered[int(len(ordered) * 0.9) - 1] * 1000:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30)
    calls = parser.parse_args().calls
    with tempfile.TemporaryDirectory() as scratch, Sandbox() as sandbox:
        workdir = Path(scratch)
        os.environ.update(
            {
                **sandbox.environ,
                **DEMO_ENV,
                "OIDC_DISCOVERY_URL": f"{sandbox.url}/oidc/.well-known/openid-configuration",
            }
        )
        apply_stack(workdir)
        arn = deploy_runtime(workdir)
        token = httpx.post(f"{sandbox.url}/oidc/token", json={"user": "alice", "client_id": "sandbox-demo"}).json()[
            "access_token"
        ]
        runtime_url = f"{sandbox.url}/runtimes/{quote(arn, safe='')}/invocations?qualifier=DEFAULT"
        port = 18000 + os.getpid() % 1000
        server = local_server(workdir, port)
        try:
            local = anyio.run(measure, proxy(f"http://127.0.0.1:{port}/mcp", sandbox, token), calls)
            runtime = anyio.run(measure, proxy(runtime_url, sandbox, token), calls)
        finally:
            server.terminate()
            server.wait()
    for method in ("tools/list", "tools/call"):
        ratio = statistics.median(runtime[method]) / statistics.median(local[method])
        print(f"{method:10}  proxy -> local server    {summary(local[method])}")
        print(f"{method:10}  proxy -> sandbox runtime {summary(runtime[method])}   ({ratio:.2f}x)")


if __name__ == "__main__":
    main()
