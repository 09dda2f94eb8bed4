"""The gateway's MCP data plane: JSON-RPC over HTTP POST at each gateway's `gatewayUrl`.

Tools come from the gateway's READY targets' OpenAPI documents (`<Target>___<operationId>`, built and
checked by sandbox/gateway_openapi.py, which also holds the SEMANTIC gateway's search tool); arguments are
checked against the document before anything goes out; calls go out with the caller's vaulted token to the GitHub stand-in (never off the machine);
a caller with no token gets AWS's -32042 URL elicitation error, provided the target's
defaultReturnUrl is registered on the gateway's own workload identity.

Where that is refused: for a caller with no token the gateway asks AgentCore Identity for one
(GetResourceOauth2Token with resourceOauth2ReturnUrl = the target's defaultReturnUrl, on the
gateway's workload identity), and Identity refuses a URL not in that identity's
allowedResourceOauth2ReturnUrls with ValidationException "You must register and use at least one
ResourceOauth2ReturnUrl on your workload identity to use this flow" (awslabs/agentcore-samples#528;
API doc: the URL "must be one of the provided URLs configured for the workload identity"). So the
tools/call fails before any authorization URL exists. How the gateway relays that failure is
UNCONFIRMED: here, a JSON-RPC error (-32603, HTTP 200) whose message carries the exception and
AWS's text (AWS may show a generic text unless the gateway's exceptionLevel is DEBUG: not modelled).
"""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any

import httpx
import yaml
from moto.bedrockagentcorecontrol.models import bedrockagentcorecontrol_backends
from werkzeug.wrappers import Request, Response

from sandbox.errors import AwsError
from sandbox.gateway_identity import identity_name
from sandbox.gateway_openapi import SEARCH_TOOL, OpenApiTool, openapi_tools, search, search_descriptor
from sandbox.identity_control import ACCOUNT, IdentityControl
from sandbox.identity_flow import IdentityFlow, Initiator
from sandbox.jwt_authorizer import InvalidToken, JwtAuthorizer
from sandbox.outbound import http_client
from sandbox.sigv4 import SignatureError, verify_sigv4

# Where the sandbox sends what a target's OpenAPI `servers` names (nothing leaves the machine).
UPSTREAMS = {"https://api.github.com": "/github/api"}
URL_ELICITATION_REQUIRED = -32042
INTERNAL_ERROR = -32603


class Unauthorized(Exception):
    pass


class GatewayDataPlane:
    def __init__(self, identity: IdentityControl, flow: IdentityFlow, credentials: dict[str, str]) -> None:
        self.identity, self.flow, self.credentials = identity, flow, credentials
        self.http = http_client(timeout=10.0)
        self._authorizer = JwtAuthorizer(self.http)

    def handle(self, request: Request, region: str, gateway_id: str, base_url: str) -> Response:
        gateway = bedrockagentcorecontrol_backends[ACCOUNT][region].gateways.get(gateway_id)
        if gateway is None:
            return _http_error(404, f"no gateway {gateway_id} in {region}")
        try:
            message = json.loads(request.get_data() or b"null")
        except ValueError:
            return _rpc_error(None, -32700, "Parse error: body is not JSON")
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0" or "method" not in message:
            return _rpc_error(None, -32600, "Invalid Request: expected a JSON-RPC 2.0 request object")
        try:
            initiator = self._authenticate(request, gateway)
        except Unauthorized as exc:
            return Response(
                json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "id": message.get("id"),
                        "error": {"code": -32001, "message": f"Unauthorized: {exc}"},
                    }
                ),
                status=401,
                content_type="application/json",
                headers={"WWW-Authenticate": 'Bearer realm="gateway"'},
            )
        versions = ((gateway.protocol_configuration or {}).get("mcp") or {}).get("supportedVersions") or ["2025-11-25"]
        header_version = request.headers.get("MCP-Protocol-Version")
        if header_version and header_version not in versions:
            return _rpc_error(
                message.get("id"),
                -32600,
                f"Unsupported MCP-Protocol-Version {header_version}; supported: {versions}",
                status=400,
            )
        if "id" not in message:
            return Response(status=202)
        return self._dispatch(message, gateway, versions, initiator, base_url)

    def _dispatch(
        self, message: dict[str, Any], gateway: Any, versions: list[str], initiator: Initiator, base_url: str
    ) -> Response:
        method, rid, params = message["method"], message.get("id"), message.get("params") or {}
        if method == "initialize":
            asked = params.get("protocolVersion")
            return _rpc_result(
                rid,
                {
                    "protocolVersion": asked if asked in versions else versions[-1],
                    "capabilities": {"tools": {"listChanged": False}},
                    "serverInfo": {"name": gateway.name, "version": "sandbox"},
                    "instructions": ((gateway.protocol_configuration or {}).get("mcp") or {}).get("instructions", ""),
                },
            )
        if method == "ping":
            return _rpc_result(rid, {})
        if method == "tools/list":
            listed = [tool.descriptor() for tool in self._tools(gateway).values()]
            return _rpc_result(rid, {"tools": listed + ([search_descriptor()] if _semantic(gateway) else [])})
        if method == "tools/call":
            return self._call(rid, params, gateway, initiator, base_url)
        return _rpc_error(rid, -32601, f"Method not found: {method}")

    def _call(self, rid: Any, params: dict[str, Any], gateway: Any, initiator: Initiator, base_url: str) -> Response:
        tools = self._tools(gateway)
        arguments = params.get("arguments") or {}
        if not isinstance(arguments, dict):
            return _rpc_error(rid, -32602, "arguments must be an object")
        if params.get("name") == SEARCH_TOOL and _semantic(gateway):
            if not isinstance(arguments.get("query"), str) or set(arguments) != {"query"}:
                return _rpc_error(rid, -32602, "x_amz_bedrock_agentcore_search takes one argument: query (a string)")
            found = search(arguments["query"], list(tools.values()))
            return _rpc_result(rid, {**_text_result(json.dumps(found)), "structuredContent": found})
        tool = tools.get(params.get("name", ""))
        if tool is None:
            return _rpc_error(rid, -32602, f"Unknown tool {params.get('name')!r}; tools: {', '.join(tools)}")
        problems = tool.problems(arguments)
        if problems:
            return _rpc_error(rid, -32602, f"Invalid arguments for {tool.name}: {'; '.join(problems)}")
        oauth = tool.oauth
        provider = self.identity.providers.get(oauth["providerArn"].rsplit("/", 1)[-1])
        if provider is None:
            return _rpc_result(
                rid, _text_result(f"credential provider {oauth['providerArn']} does not exist", error=True)
            )
        token = self.flow.token_for(provider.name, initiator)
        if token is None:
            return_url, identity = oauth.get("defaultReturnUrl", ""), identity_name(gateway)
            try:
                self.identity.check_return_url(identity, return_url)
            except AwsError as exc:
                return _rpc_error(
                    rid,
                    INTERNAL_ERROR,
                    f"{exc.code} from GetResourceOauth2Token: {exc.message}",
                    data={"exception": exc.code, "workloadIdentity": identity, "resourceOauth2ReturnUrl": return_url},
                )
            _, url = self.flow.start_session(
                provider=provider.name,
                scopes=oauth.get("scopes", []),
                return_url=return_url,
                initiator=initiator,
                workload_identity=identity,
                base_url=base_url,
            )
            return _rpc_error(
                rid,
                URL_ELICITATION_REQUIRED,
                "This request requires more information.",
                data={
                    "elicitations": [
                        {
                            "mode": "url",
                            "elicitationId": str(uuid.uuid4()),
                            "url": url,
                            "message": "Please login to this URL for authorization.",
                        }
                    ]
                },
            )
        return _rpc_result(rid, self._outbound(tool, arguments, token, base_url))

    def _outbound(self, tool: OpenApiTool, arguments: dict[str, Any], token: str, base_url: str) -> dict[str, Any]:
        if tool.server not in UPSTREAMS:
            return _text_result(f"the sandbox does not reach {tool.server}: nothing leaves this machine", error=True)
        path, query, body = tool.request(arguments)
        try:
            upstream = self.http.request(
                tool.method.upper(),
                base_url + UPSTREAMS[tool.server] + path,
                params=query,
                json=body,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            return _text_result(f"upstream call failed: {exc}", error=True)
        return _text_result(upstream.text, error=upstream.status_code >= 400)

    def _tools(self, gateway: Any) -> dict[str, OpenApiTool]:
        backend = bedrockagentcorecontrol_backends[ACCOUNT][gateway.region_name]
        tools: dict[str, OpenApiTool] = {}
        for (gid, _), target in backend.gateway_targets.items():
            if gid != gateway.gateway_id or target.status != "READY":
                continue
            payload = target.target_configuration.get("mcp", {}).get("openApiSchema", {}).get("inlinePayload", "{}")
            configs = target.credential_provider_configurations or [{}]
            oauth = configs[0].get("credentialProvider", {}).get("oauthCredentialProvider", {})
            built = _target_tools(target.name, payload, json.dumps(oauth, sort_keys=True))
            tools.update((tool.name, tool) for tool in built)
        return tools

    def _authenticate(self, request: Request, gateway: Any) -> Initiator:
        kind = gateway.authorizer_type
        if kind == "AWS_IAM":
            try:
                akid = verify_sigv4(request, self.credentials, service="bedrock-agentcore")
            except SignatureError as exc:
                raise Unauthorized(str(exc)) from exc
            return Initiator("userId", akid, vault_key=f"iam:{akid}")
        if kind == "CUSTOM_JWT":
            auth = request.headers.get("Authorization", "")
            if not auth.startswith("Bearer "):
                raise Unauthorized("missing bearer token")
            token = auth.removeprefix("Bearer ").strip()
            claims = self._verify_jwt(token, (gateway.authorizer_configuration or {}).get("customJWTAuthorizer", {}))
            return Initiator(
                "userToken",
                token,
                vault_key=f"jwt:{claims['iss']}|{claims['sub']}",
                login_hint=str(claims.get("sub", "")),
            )
        return Initiator("userId", "anonymous", vault_key="anonymous")

    def _verify_jwt(self, token: str, config: dict[str, Any]) -> dict[str, Any]:
        """The same checks as the Runtime's inbound authorizer (botocore: one CustomJWTAuthorizerConfiguration
        shape for both): issuer, signature, expiry, allowedAudience, allowedClients, allowedScopes."""
        try:
            return self._authorizer.verify(token, config)
        except InvalidToken as exc:
            raise Unauthorized(str(exc)) from exc


def _semantic(gateway: Any) -> bool:
    return ((gateway.protocol_configuration or {}).get("mcp") or {}).get("searchType") == "SEMANTIC"


@functools.lru_cache(maxsize=64)
def _target_tools(target_name: str, payload: str, oauth: str) -> tuple[OpenApiTool, ...]:
    """A target's tools, built once per document and credential configuration: parsing the shipped 28 KB document
    with PyYAML took ~0.1 s, on every gateway request. The tools are frozen and never changed by a caller."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = yaml.load(payload, Loader=loader) or {}  # noqa: S506 - a safe loader
    return tuple(openapi_tools(target_name, document, json.loads(oauth)))


def _text_result(text: str, *, error: bool = False) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": text}], "isError": error}


def _rpc_result(rid: Any, result: dict[str, Any]) -> Response:
    return Response(json.dumps({"jsonrpc": "2.0", "id": rid, "result": result}), content_type="application/json")


def _rpc_error(rid: Any, code: int, message: str, *, data: Any = None, status: int = 200) -> Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return Response(
        json.dumps({"jsonrpc": "2.0", "id": rid, "error": error}), status=status, content_type="application/json"
    )


def _http_error(status: int, message: str) -> Response:
    return Response(json.dumps({"message": message}), status=status, content_type="application/json")
