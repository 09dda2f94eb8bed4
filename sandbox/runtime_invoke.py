"""InvokeAgentRuntime's MCP path: `POST /runtimes/<url-encoded runtime ARN>/invocations?qualifier=DEFAULT`
(bedrock-agentcore data plane; what mcp-proxy-for-aws targets), forwarded to the runtime's deployed
code (sandbox.runtime_code).

- Inbound auth: a runtime without an authorizerConfiguration takes IAM (SigV4) callers only; the
  signature is recomputed with botocore's signer (sandbox.sigv4). Errors from botocore's
  InvokeAgentRuntime error shapes: AccessDeniedException 403 (bad or missing signature; the exact
  type AWS uses is UNCONFIRMED), ResourceNotFoundException 404 (unknown runtime or qualifier),
  RetryableConflictException 409 (no READY version yet: UNCONFIRMED), RuntimeClientError 424 (the
  code failed to start). customJWTAuthorizer runtimes are beyond the sandbox (refused, said so).
- Headers reaching the code: the ones InvokeAgentRuntime models for MCP (Content-Type, Accept,
  Mcp-Session-Id, Mcp-Protocol-Version, the runtime session id) and those named in the version's
  requestHeaderConfiguration.requestHeaderAllowlist (case-insensitive), each at most 4 KB (devguide
  runtime-header-allowlist); everything else, Authorization (SigV4) included, is dropped.
- The path on the code's side: protocolConfiguration.path, else /mcp for MCP (the Runtime's MCP
  contract, AWS_FACTS.md) and /invocations for HTTP.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from werkzeug.wrappers import Request, Response

from sandbox.errors import AwsError, not_found
from sandbox.runtime_code import DeployedCode
from sandbox.runtime_control import DEFAULT_ENDPOINT, RuntimeControl
from sandbox.sigv4 import SignatureError, verify_sigv4

INVOCATIONS = re.compile(r"/runtimes/(?P<arn>.+)/invocations/?")
SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
MODELLED_HEADERS = ("Content-Type", "Accept", "Mcp-Session-Id", "Mcp-Protocol-Version")
RETURNED_HEADERS = ("Content-Type", "Mcp-Session-Id", "Mcp-Protocol-Version")
MAX_HEADER_VALUE = 4096


class RuntimeDataPlane:
    def __init__(self, control: RuntimeControl, code: DeployedCode, credentials: dict[str, str]) -> None:
        self.control, self.code, self.credentials = control, code, credentials
        self.http = httpx.Client(timeout=60.0)

    def handle(self, request: Request, arn: str, *, region: str, base_url: str) -> Response:
        if request.method != "POST":
            return Response(status=405, headers={"Allow": "POST"})
        self._authenticate(request)  # before anything about the runtime is revealed
        runtime = self.control.find_by_arn(arn)
        if runtime is None:
            raise not_found(f"agent runtime {arn}")
        qualifier = request.args.get("qualifier", DEFAULT_ENDPOINT)
        if qualifier != DEFAULT_ENDPOINT:
            raise not_found(f"endpoint {qualifier} of agent runtime {runtime.id}")
        version = runtime.live
        if version is None:
            raise AwsError("RetryableConflictException", f"agent runtime {runtime.id} has no READY version yet", 409)
        if (version.document.get("authorizerConfiguration") or {}).get("customJWTAuthorizer"):
            raise AwsError(
                "AccessDeniedException", "the sandbox does not support runtimes with a customJWTAuthorizer", 403
            )
        session = request.headers.get(SESSION_HEADER) or str(uuid.uuid4())
        headers = {**forwarded_headers(request, version.document), SESSION_HEADER: session}
        port = self.code.port_for(runtime.id, version.number, version.document, region=region, base_url=base_url)
        try:
            answer = self.http.post(
                f"http://127.0.0.1:{port}{code_path(version.document)}", content=request.get_data(), headers=headers
            )
        except httpx.HTTPError as exc:
            raise AwsError("RuntimeClientError", f"the runtime's code did not answer: {exc}", 424) from exc
        returned = {name: answer.headers[name] for name in RETURNED_HEADERS if name in answer.headers}
        return Response(answer.content, status=answer.status_code, headers={**returned, SESSION_HEADER: session})

    def close(self) -> None:
        self.http.close()

    def _authenticate(self, request: Request) -> None:
        try:
            verify_sigv4(request, self.credentials, service="bedrock-agentcore")
        except SignatureError as exc:
            raise AwsError("AccessDeniedException", f"SigV4 authentication failed: {exc}", 403) from exc


def forwarded_headers(request: Request, document: dict[str, Any]) -> dict[str, str]:
    """The modelled MCP headers and the allow-listed ones; nothing else reaches the code."""
    allowlist = ((document.get("requestHeaderConfiguration") or {}).get("requestHeaderAllowlist")) or []
    headers = {name: request.headers[name] for name in MODELLED_HEADERS if name in request.headers}
    for name in allowlist:
        value = request.headers.get(name)
        if value is None:
            continue
        if len(value.encode()) > MAX_HEADER_VALUE:
            raise AwsError("ValidationException", f"header {name} is over {MAX_HEADER_VALUE} bytes", 400)
        headers[name] = value
    return headers


def code_path(document: dict[str, Any]) -> str:
    configuration = document.get("protocolConfiguration") or {}
    if configuration.get("path"):
        return str(configuration["path"])
    return "/mcp" if configuration.get("serverProtocol") == "MCP" else "/invocations"
