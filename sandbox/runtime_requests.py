"""Reading AgentCore Runtime control-plane requests with AWS's constraints, which botocore does not
check client-side (it validates required members and types, not patterns or maxima).

Sources, per rule:
- names `[a-zA-Z][a-zA-Z0-9_]{0,47}` (no hyphen), ids `<name>-<10 alphanumerics>`, ARNs
  `…:runtime/<id>`: botocore's bedrock-agentcore-control model (AgentRuntimeName, AgentRuntimeId,
  AgentRuntimeArn);
- networkConfiguration is required: hashicorp/terraform-provider-aws
  internal/service/bedrockagentcore/agent_runtime.go (`listvalidator.IsRequired()`); botocore marks
  it optional, so this is the stricter reading (UNCONFIRMED);
- entryPoint 1-2 items of 1-128 characters, s3 prefix 1-1024: the same Terraform resource;
- switching between code and container artifacts needs a new runtime (Terraform RequiresReplaceIf
  "Artifact type change ... requires replacement"); the API's refusal is UNCONFIRMED;
- environment variables: at most 50, keys 1-100, values up to 5000 characters (botocore model);
- the header allowlist: devguide "Pass custom headers to Amazon Bedrock AgentCore Runtime"
  (runtime-header-allowlist): at most 20, names `[A-Za-z][A-Za-z0-9_-]*`, none from the restricted
  list, no `x-amz-`, no `x-amzn-` except `X-Amzn-Bedrock-AgentCore-Runtime-Custom-`, duplicates
  compared case-insensitively, `Authorization` only with a customJWTAuthorizer. The restricted
  list below holds the categories that page names; any further entries are UNCONFIRMED.
- authorizerConfiguration is a union holding customJWTAuthorizer, whose discoveryUrl matches botocore's
  DiscoveryUrl pattern (an `/.well-known/openid-configuration` or `/.well-known/oauth-authorization-server`
  URL; botocore checks patterns only server-side) and whose allowedScopes match AllowedScopeType.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sandbox.errors import AwsError, validation

RUNTIME_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_]{0,47}")
DISCOVERY_URL = re.compile(r"[^\s?#]+/\.well-known/(openid-configuration|oauth-authorization-server)(/[^\s?#]+)?")
SCOPE = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]{1,255}")
HEADER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,255}")
CUSTOM_PREFIX = "x-amzn-bedrock-agentcore-runtime-custom-"
MAX_HEADERS, MAX_ENV = 20, 50
RESTRICTED_HEADERS = frozenset(
    name.lower()
    for name in (
        "Proxy-Authorization WWW-Authenticate Accept Accept-Charset Accept-Encoding Accept-Language Content-Type "
        "Content-Length Content-Encoding Content-Language Content-Location Content-Range Cache-Control ETag Expires "
        "If-Match If-Modified-Since If-None-Match If-Range If-Unmodified-Since Last-Modified Pragma Vary Connection "
        "Keep-Alive Proxy-Connection Upgrade Host Referer User-Agent From Range Accept-Ranges Transfer-Encoding TE "
        "Trailer"
    ).split()
)
# What a runtime's GetAgentRuntime shows when the request leaves lifecycleConfiguration out: the devguide's
# defaults (15 minutes idle, 8 hours at most); UNCONFIRMED that the API returns exactly these.
DEFAULT_LIFECYCLE = {"idleRuntimeSessionTimeout": 900, "maxLifetime": 28800}


class SandboxLimitation(AwsError):
    """Something AWS accepts that the sandbox cannot stand in for: said plainly, never silently accepted."""

    def __init__(self, message: str) -> None:
        super().__init__("ValidationException", f"the sandbox does not support this: {message}", 400)


@dataclass(frozen=True)
class CodeLocation:
    bucket: str
    key: str
    version_id: str | None
    runtime: str
    entry_point: tuple[str, ...]


def runtime_name(body: dict[str, Any]) -> str:
    name = body.get("agentRuntimeName")
    if not isinstance(name, str) or not RUNTIME_NAME.fullmatch(name):
        raise validation(
            f"1 validation error detected: Value '{name}' at 'agentRuntimeName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [a-zA-Z][a-zA-Z0-9_]{0,47}"
        )
    return name


def code_location(artifact: Any) -> CodeLocation:
    """The S3 zip and how to run it; a container artifact is beyond the sandbox."""
    if not isinstance(artifact, dict) or len(artifact) != 1:
        raise validation("agentRuntimeArtifact must set exactly one of codeConfiguration, containerConfiguration")
    if "containerConfiguration" in artifact:
        raise SandboxLimitation("containerConfiguration (it runs code artifacts only: codeConfiguration)")
    code = artifact.get("codeConfiguration") or {}
    s3 = (code.get("code") or {}).get("s3") or {}
    entry = code.get("entryPoint") or []
    if not s3.get("bucket") or not 1 <= len(str(s3.get("prefix") or "")) <= 1024:
        raise validation("codeConfiguration.code.s3 needs a bucket and a prefix of 1-1024 characters")
    if not 1 <= len(entry) <= 2 or not all(isinstance(e, str) and 1 <= len(e) <= 128 for e in entry):
        raise validation("codeConfiguration.entryPoint must hold 1-2 items of 1-128 characters")
    return CodeLocation(s3["bucket"], s3["prefix"], s3.get("versionId"), str(code.get("runtime")), tuple(entry))


def same_artifact_type(before: dict[str, Any], after: dict[str, Any]) -> None:
    if set(before) != set(after):
        raise validation("the artifact type (code or container) cannot change; create a new agent runtime")


def network(body: dict[str, Any]) -> dict[str, Any]:
    config = body.get("networkConfiguration")
    if not isinstance(config, dict) or not config.get("networkMode"):
        raise validation("networkConfiguration with networkMode is required")
    return config


def environment(body: dict[str, Any]) -> dict[str, str] | None:
    variables = body.get("environmentVariables")
    if variables is None:
        return None
    if len(variables) > MAX_ENV:
        raise validation(f"environmentVariables holds {len(variables)} entries; at most {MAX_ENV} are allowed")
    for key, value in variables.items():
        if not 1 <= len(key) <= 100 or len(value) > 5000:
            raise validation(f"environment variable {key[:100]!r}: keys are 1-100 characters, values at most 5000")
    return dict(variables)


def header_allowlist(body: dict[str, Any]) -> list[str]:
    allowlist = list(((body.get("requestHeaderConfiguration") or {}).get("requestHeaderAllowlist")) or [])
    has_jwt = bool((body.get("authorizerConfiguration") or {}).get("customJWTAuthorizer"))
    if len(allowlist) > MAX_HEADERS:
        raise validation(f"requestHeaderAllowlist holds {len(allowlist)} headers; at most {MAX_HEADERS}")
    lowered = [name.lower() for name in allowlist]
    if len(set(lowered)) != len(lowered):
        raise validation("requestHeaderAllowlist names a header twice (names are compared case-insensitively)")
    for name, low in zip(allowlist, lowered, strict=True):
        if not HEADER_NAME.fullmatch(name) or low in RESTRICTED_HEADERS:
            raise validation(f"header {name!r} is not a valid header name or is restricted")
        if low.startswith("x-amz-") or (low.startswith("x-amzn-") and not low.startswith(CUSTOM_PREFIX)):
            raise validation(f"header {name!r}: x-amz-/x-amzn- headers are reserved (except {CUSTOM_PREFIX}*)")
        if low == "authorization" and not has_jwt:
            raise validation("the Authorization header can be allowed only with a customJWTAuthorizer")
    return allowlist


def authorizer(body: dict[str, Any]) -> None:
    config = body.get("authorizerConfiguration")
    if config is None:
        return
    jwt = config.get("customJWTAuthorizer") if isinstance(config, dict) and len(config) == 1 else None
    if not isinstance(jwt, dict):
        raise validation("authorizerConfiguration must set customJWTAuthorizer")
    url = jwt.get("discoveryUrl")
    if not isinstance(url, str) or not DISCOVERY_URL.fullmatch(url):
        raise validation(
            f"1 validation error detected: Value '{url}' at 'authorizerConfiguration.customJWTAuthorizer.discoveryUrl' "
            "failed to satisfy constraint: Member must satisfy regular expression pattern: "
            f"{DISCOVERY_URL.pattern}"
        )
    for scope in jwt.get("allowedScopes") or []:
        if not isinstance(scope, str) or not SCOPE.fullmatch(scope):
            raise validation(f"allowedScopes: {scope!r} is not a valid scope")


def protocol(body: dict[str, Any]) -> dict[str, Any] | None:
    config = body.get("protocolConfiguration")
    if config is not None and config.get("serverProtocol") not in {"MCP", "HTTP", "A2A", "AGUI"}:
        raise validation("protocolConfiguration.serverProtocol must be one of MCP, HTTP, A2A, AGUI")
    return dict(config) if config is not None else None
