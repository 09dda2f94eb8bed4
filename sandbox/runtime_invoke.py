"""InvokeAgentRuntime's MCP path: `POST /runtimes/<url-encoded runtime ARN>/invocations?qualifier=DEFAULT`
(bedrock-agentcore data plane; what mcp-proxy-for-aws targets), forwarded to the runtime's deployed
code (sandbox.runtime_code).

- Inbound auth follows the serving version's authorizerConfiguration. Without one, IAM (SigV4) callers
  only: the signature is recomputed with botocore's signer (sandbox.sigv4), before anything about the
  runtime is revealed to a signed request. An unsigned one is looked up first, since a JWT runtime must
  answer it, so it learns whether the runtime exists (UNCONFIRMED). Errors from botocore's InvokeAgentRuntime error shapes: AccessDeniedException 403
  (bad or missing signature; the exact type AWS uses is UNCONFIRMED), ResourceNotFoundException 404
  (unknown runtime or qualifier), RetryableConflictException 409 (no READY version yet: UNCONFIRMED),
  RuntimeClientError 424 (the code failed to start).
- With a customJWTAuthorizer (checks: sandbox.jwt_authorizer), a bearer JWT: an MCP request without a
  valid one gets 401 and `WWW-Authenticate: Bearer resource_metadata="<base>/runtimes/<escaped ARN>/
  invocations/.well-known/oauth-protected-resource?qualifier=<q>"` (devguide "runtime-mcp-protocol-contract",
  OAuth authentication responses; a SigV4 runtime answers 403 without that header). The header also
  carries `scope="..."` when allowedScopes is set (botocore advertisedScopeMapping: the advertised scopes
  "appear in OAuth protected resource metadata and WWW-Authenticate response headers"), and
  `error="invalid_token"` for a token that was sent and refused (RFC 6750 section 3.1; whether AWS adds it
  is UNCONFIRMED). For the other protocols a missing or bad token is AccessDeniedException 403 (UNCONFIRMED;
  aws/bedrock-agentcore-sdk-python PR 119: "If bearer-token is not passed, you'll get an AccessDenied").
  A SigV4-signed request to such a runtime, and a bearer token sent to a SigV4 runtime, are
  AccessDeniedException 403 "Authorization method mismatch..." (the message aws/agentcore-cli issues 714
  and 814 quote for the first; the second is UNCONFIRMED).
- The metadata URL above (GET) serves RFC 9728 protected-resource metadata: `resource` = the invocation URL
  with its qualifier (AgentCore uses it as the OAuth resource, query included: aws/agentcore-cli issue
  2257), `authorization_servers` = [the `issuer` of the authorizer's discovery document],
  `bearer_methods_supported` = ["header"], and `scopes_supported` when allowedScopes is set. A runtime
  without a customJWTAuthorizer has none: ResourceNotFoundException (UNCONFIRMED). RFC 9728's own
  well-known location (inserted after the host) is not served: AgentCore announces the appended one.
- Headers reaching the code: the ones InvokeAgentRuntime models for MCP (Content-Type, Accept,
  Mcp-Session-Id, Mcp-Protocol-Version, the runtime session id) and those named in the version's
  requestHeaderConfiguration.requestHeaderAllowlist (case-insensitive), each at most 4 KB (devguide
  runtime-header-allowlist); everything else is dropped. Host is the public name, not loopback
  (sandbox.runtime_launch: which Host AWS forwards is UNCONFIRMED). So the caller's `Authorization` (a bearer JWT)
  reaches the code only when allow-listed, which the control plane permits only with a
  customJWTAuthorizer (sandbox.runtime_requests); a SigV4 signature never does.
- The path on the code's side: protocolConfiguration.path, else /mcp for MCP (the Runtime's MCP
  contract, AWS_FACTS.md) and /invocations for HTTP.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import quote

import httpx
from werkzeug.wrappers import Request, Response

from sandbox.errors import AwsError, not_found
from sandbox.jwt_authorizer import InvalidToken, JwtAuthorizer
from sandbox.outbound import http_client
from sandbox.runtime_code import DeployedCode
from sandbox.runtime_control import DEFAULT_ENDPOINT, RuntimeControl, Version
from sandbox.runtime_launch import public_host
from sandbox.sigv4 import SignatureError, verify_sigv4

INVOCATIONS = re.compile(r"/runtimes/(?P<arn>.+)/invocations/?")
PROTECTED_RESOURCE = re.compile(r"/runtimes/(?P<arn>.+)/invocations/\.well-known/oauth-protected-resource")
SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
MODELLED_HEADERS = ("Content-Type", "Accept", "Mcp-Session-Id", "Mcp-Protocol-Version")
RETURNED_HEADERS = ("Content-Type", "Mcp-Session-Id", "Mcp-Protocol-Version")
MAX_HEADER_VALUE = 4096
MISMATCH = (
    "Authorization method mismatch. The agent is configured for a different authorization method than what was "
    "used in your request. Check the agent's authorization configuration and ensure your request uses the "
    "matching method (OAuth or SigV4)"
)


class RuntimeDataPlane:
    def __init__(self, control: RuntimeControl, code: DeployedCode, credentials: dict[str, str]) -> None:
        self.control, self.code, self.credentials = control, code, credentials
        self.http = http_client(timeout=60.0)
        self.authorizer = JwtAuthorizer(self.http)

    def handle(self, request: Request, arn: str, *, region: str, base_url: str) -> Response:
        if request.method != "POST":
            return Response(status=405, headers={"Allow": "POST"})
        signed = request.headers.get("Authorization", "").startswith("AWS4-")
        if signed:
            self._authenticate(request)  # before anything about the runtime is revealed
        qualifier = request.args.get("qualifier", DEFAULT_ENDPOINT)
        runtime_id, version = self._serving(arn, qualifier)
        config = jwt_authorizer(version.document)
        if config is None and request.headers.get("Authorization", "").startswith("Bearer "):
            raise AwsError("AccessDeniedException", MISMATCH, 403)
        if config is None and not signed:
            self._authenticate(request)  # refuses it, saying why
        if config is not None and signed:
            raise AwsError("AccessDeniedException", MISMATCH, 403)
        refused = self._check_bearer(request, arn, qualifier, version, config, base_url) if config else None
        if refused is not None:
            return refused
        session = request.headers.get(SESSION_HEADER) or str(uuid.uuid4())
        headers = {**forwarded_headers(request, version.document), SESSION_HEADER: session, "Host": public_host(region)}
        port = self.code.port_for(runtime_id, version.number, version.document, region=region, base_url=base_url)
        try:
            answer = self.http.post(
                f"http://127.0.0.1:{port}{code_path(version.document)}", content=request.get_data(), headers=headers
            )
        except httpx.HTTPError as exc:
            raise AwsError("RuntimeClientError", f"the runtime's code did not answer: {exc}", 424) from exc
        returned = {name: answer.headers[name] for name in RETURNED_HEADERS if name in answer.headers}
        return Response(answer.content, status=answer.status_code, headers={**returned, SESSION_HEADER: session})

    def protected_resource(self, request: Request, arn: str, *, base_url: str) -> Response:
        """RFC 9728 section 2 metadata of a customJWTAuthorizer runtime (see the module docstring)."""
        if request.method != "GET":
            return Response(status=405, headers={"Allow": "GET"})
        qualifier = request.args.get("qualifier", DEFAULT_ENDPOINT)
        _, version = self._serving(arn, qualifier)
        config = jwt_authorizer(version.document)
        if config is None:
            raise not_found(f"protected resource metadata of agent runtime {arn} (it takes SigV4, not OAuth)")
        try:
            issuer = str(self.authorizer.metadata(config)["issuer"])
        except ValueError as exc:
            raise AwsError("InternalServerException", str(exc), 500) from exc
        metadata: dict[str, Any] = {
            "resource": invocation_url(base_url, arn, qualifier),
            "authorization_servers": [issuer],
            "bearer_methods_supported": ["header"],
        }
        if scopes := advertised_scopes(config):
            metadata["scopes_supported"] = scopes
        return Response(json.dumps(metadata), content_type="application/json")

    def close(self) -> None:
        self.http.close()

    def _serving(self, arn: str, qualifier: str) -> tuple[str, Version]:
        """The runtime's id and the version its endpoint serves."""
        runtime = self.control.find_by_arn(arn)
        if runtime is None:
            raise not_found(f"agent runtime {arn}")
        if qualifier != DEFAULT_ENDPOINT:
            raise not_found(f"endpoint {qualifier} of agent runtime {runtime.id}")
        version = runtime.live
        if version is None:
            raise AwsError("RetryableConflictException", f"agent runtime {runtime.id} has no READY version yet", 409)
        return runtime.id, version

    def _check_bearer(
        self, request: Request, arn: str, qualifier: str, version: Version, config: dict[str, Any], base_url: str
    ) -> Response | None:
        """None if the request carries a JWT the authorizer accepts; else the refusal to send."""
        authorization = request.headers.get("Authorization", "")
        token = authorization[len("Bearer ") :].strip() if authorization.startswith("Bearer ") else ""
        problem = "missing bearer token"
        if token:
            try:
                self.authorizer.verify(token, config)
                return None
            except InvalidToken as exc:
                problem = str(exc)
        if (version.document.get("protocolConfiguration") or {}).get("serverProtocol") != "MCP":
            raise AwsError("AccessDeniedException", f"OAuth authentication failed: {problem}", 403)
        challenge = f'Bearer resource_metadata="{metadata_url(base_url, arn, qualifier)}"'
        if scopes := advertised_scopes(config):
            challenge += f', scope="{" ".join(scopes)}"'
        if token:
            challenge += ', error="invalid_token"'
        body = json.dumps({"message": f"OAuth authentication failed: {problem}"})
        return Response(body, status=401, content_type="application/json", headers={"WWW-Authenticate": challenge})

    def _authenticate(self, request: Request) -> None:
        try:
            verify_sigv4(request, self.credentials, service="bedrock-agentcore")
        except SignatureError as exc:
            raise AwsError("AccessDeniedException", f"SigV4 authentication failed: {exc}", 403) from exc


def jwt_authorizer(document: dict[str, Any]) -> dict[str, Any] | None:
    config = (document.get("authorizerConfiguration") or {}).get("customJWTAuthorizer")
    return dict(config) if config else None


def invocation_url(base_url: str, arn: str, qualifier: str) -> str:
    return f"{base_url}/runtimes/{quote(arn, safe='')}/invocations?qualifier={quote(qualifier, safe='')}"


def metadata_url(base_url: str, arn: str, qualifier: str) -> str:
    """Where the 401's WWW-Authenticate points: the protected-resource metadata of that invocation URL."""
    return (
        f"{base_url}/runtimes/{quote(arn, safe='')}/invocations/.well-known/oauth-protected-resource"
        f"?qualifier={quote(qualifier, safe='')}"
    )


def advertised_scopes(config: dict[str, Any]) -> list[str]:
    """allowedScopes as clients see them, through advertisedScopeMapping (botocore model)."""
    mapping = config.get("advertisedScopeMapping") or {}
    return [str(mapping.get(scope, scope)) for scope in config.get("allowedScopes") or []]


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
