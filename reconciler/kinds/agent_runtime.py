"""The MCP server on AgentCore Runtime (issue 14): CreateAgentRuntime with direct code deployment
from the code artifact, `serverProtocol: MCP`, the environment that points the server at its
configuration, and one of two inbound doors (README "Doors"):

- `authorizer: {type: AWS_IAM}` (the default: no authorizerConfiguration): callers sign with SigV4
  (mcp-connect, mcp-proxy-for-aws) and carry their JWT in an allow-listed
  `X-Amzn-Bedrock-AgentCore-Runtime-Custom-*` header;
- `authorizer: {type: CUSTOM_JWT, ...}` (customJWTAuthorizer): MCP clients sign in by themselves (MCP
  authorization) and send `Authorization: Bearer`, which the kind allow-lists so that it reaches the server.

A gateway with AWS_IAM or NONE authorization in the hand-off is refused at validation unless the
runtime says `single_user: true` (`check_stack`): the Runtime passes nothing about its caller, so every
caller would act as the runtime role and share one GitHub link (AWS_FACTS.md, "Identity through the
Runtime"); `single_user: true` also sets MCP_SINGLE_USER, without which such a server does not start.

Names: `[a-zA-Z][a-zA-Z0-9_]{0,47}` (botocore's AgentRuntimeName: no hyphen), so the default is
`<stack>_<resource>` with `-` as `_`. A new artifact is UpdateAgentRuntime (a new version the
DEFAULT endpoint moves to), never a replace; only the name forces one (Terraform: agent_runtime_name
RequiresReplace). UpdateAgentRuntime sends the whole document, settings the stack does not manage
carried over (reset otherwise: UNCONFIRMED, the stricter reading). Waits as Terraform's
agent_runtime.go does: CREATING -> READY, UPDATING -> READY (two READY reads), DELETING -> gone;
CreateAgentRuntime's "Role validation failed" while a new role propagates is retried.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from handoff.config import HAND_OFF_VARIABLE, SERVER_FIELDS, HandOff, merge_parts
from reconciler import aws
from reconciler.aws import CONTROL_SERVICE, error_code, error_message, ignore_missing, is_not_found
from reconciler.kinds.agentcore import (
    READY,
    RUNTIME_DELETE_FAILED,
    RUNTIME_FAILED,
    carried_note,
    client_token,
    read_tags,
    tagged_owners,
    unmanaged_settings,
)
from reconciler.kinds.base import HAND_OFF, Context, Kind, ResourceSpec, StackProblem, StrList
from reconciler.kinds.gateway import SELF_SIGNING, Authorizer, check_jwt_keys
from reconciler.kinds.hand_off_text import hand_off_text, stored_hand_off
from reconciler.kinds.waiting import retry_iam_propagation, wait_for_status, wait_until_gone
from reconciler.live import OWNER_TAG, Live
from reconciler.packaging import ENTRY_POINT
from reconciler.spec.interpolation import EXPRESSION, REF, UNKNOWN, holds_unknown

if TYPE_CHECKING:
    from botocore.exceptions import ClientError

MANAGED = frozenset(
    {
        "agentRuntimeId",
        "agentRuntimeArtifact",
        "roleArn",
        "networkConfiguration",
        "description",
        "protocolConfiguration",
        "requestHeaderConfiguration",
        "environmentVariables",
        "authorizerConfiguration",
        "clientToken",
    }
)
"""The UpdateAgentRuntime fields the stack sets; the others are carried over from the live runtime."""
SINGLE_USER_VARIABLE = "MCP_SINGLE_USER"
"""server/__main__.py's --single-user: set from `single_user: true`, never by the entry point."""
AUTHORIZATION = "Authorization"
MCP_PORT = 8000
"""Named in protocolConfiguration, and pinned by the packaged entry point (reconciler.packaging.ENTRY_SOURCE)
rather than read from PORT: whether the Runtime sets PORT is UNCONFIRMED; 8000 is botocore's default for MCP."""
NOT_AUTHORIZED = "is not authorized to perform"
MAX_ENVIRONMENT_VALUE = 5000
"""botocore's EnvironmentVariableValue maximum (the model's `max`, which botocore does not check)."""


class RuntimeCode(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bucket: str
    key: str
    runtime: str
    entry_point: StrList = list(ENTRY_POINT)


class InboundAuthorizer(Authorizer):
    """The gateway's authorizer keys; the Runtime has no NONE (botocore: no authorizerConfiguration is IAM).
    With AWS_IAM the JWT keys are not sent and not compared, so one stack file can switch doors with the
    type alone (the shipped stack reads RUNTIME_AUTHORIZER)."""

    type: Literal["CUSTOM_JWT", "AWS_IAM"] = "AWS_IAM"

    @model_validator(mode="after")
    def _jwt_needs_discovery(self) -> InboundAuthorizer:  # replaces the gateway's rule of the same name
        check_jwt_keys(self)
        return self


class AgentRuntimeSpec(ResourceSpec):
    kind: Literal["agent_runtime"]
    description: str = ""
    role_arn: str
    code: RuntimeCode
    protocol: Literal["MCP", "HTTP", "A2A", "AGUI"] = "MCP"
    authorizer: InboundAuthorizer = InboundAuthorizer()
    allowed_headers: StrList = []
    single_user: bool = False
    """Only one person may invoke this runtime: allows an AWS_IAM or NONE gateway in its hand-off."""
    environment: dict[str, str] = {}
    hand_off: list[str] = []
    """`${resource.hand_off}` references: the server's configuration (config.json's model, those
    resources' parts merged), passed in the environment variable HAND_OFF_VARIABLE."""

    @field_validator("hand_off")
    @classmethod
    def _references(cls, value: list[str]) -> list[str]:
        for item in value:  # matched as resolve_refs matches a whole-string reference
            whole = EXPRESSION.fullmatch(item)
            ref = REF.match(whole.group(1).strip()) if whole else None
            if ref is None or ref.group(2) != HAND_OFF:
                raise ValueError(
                    f"{item!r} is not a reference to a resource's hand-off: write ${{<resource>.{HAND_OFF}}}"
                )
        return value

    @field_validator("environment")
    @classmethod
    def _not_the_hand_off(cls, value: dict[str, str]) -> dict[str, str]:
        if HAND_OFF_VARIABLE in value:
            raise ValueError(f"{HAND_OFF_VARIABLE} is set from hand_off: list the resources there instead")
        if SINGLE_USER_VARIABLE in value:
            raise ValueError(f"{SINGLE_USER_VARIABLE} is set from `single_user: true`: write that instead")
        return value

    @model_validator(mode="after")
    def _authorization_needs_jwt(self) -> AgentRuntimeSpec:
        # devguide "runtime-header-allowlist": Authorization only with a customJWTAuthorizer.
        allows = any(header.lower() == AUTHORIZATION.lower() for header in self.allowed_headers)
        if allows and self.authorizer.type != "CUSTOM_JWT":
            raise ValueError(
                "allowed_headers lists Authorization, which AgentCore passes only to a runtime with a CUSTOM_JWT "
                "authorizer: set authorizer.type CUSTOM_JWT, or carry the JWT in an "
                "X-Amzn-Bedrock-AgentCore-Runtime-Custom-* header"
            )
        return self


class AgentRuntime(Kind):
    kind = "agent_runtime"
    statuses = {(CONTROL_SERVICE, "AgentRuntimeStatus"): READY | RUNTIME_FAILED | RUNTIME_DELETE_FAILED | {"DELETING"}}
    spec_model = AgentRuntimeSpec
    discovery_group = "runtime"
    hand_off_field = "hand_off"
    attributes = frozenset({"id", "arn", "name", "version", "invocation_url"})
    name_pattern = r"[a-zA-Z][a-zA-Z0-9_]{0,47}"
    name_hint = "a letter, then up to 47 letters, digits or _ (no hyphen)"

    def default_name(self, stack: str, logical: str) -> str:
        return f"{stack}_{logical}".replace("-", "_")

    def desired(self, name: str, spec: dict[str, Any], *, stack: str, current: Live | None = None) -> dict[str, Any]:
        code = spec["code"]
        return {
            "description": spec.get("description", ""),
            "role_arn": spec["role_arn"],
            "code": {
                "bucket": code["bucket"],
                "key": code["key"],
                "runtime": code["runtime"],
                "entry_point": list(code["entry_point"]),
            },
            "protocol": spec["protocol"],
            "authorizer": _authorizer(spec.get("authorizer") or {"type": "AWS_IAM"}),
            "network_mode": "PUBLIC",
            "allowed_headers": _allowed_headers(spec),
            "environment": {
                **spec.get("environment", {}),
                **({SINGLE_USER_VARIABLE: "1"} if spec.get("single_user") else {}),
            },
            "hand_off": _merged(spec.get("hand_off", [])),
        }

    def check_stack(self, spec: dict[str, Any], others: dict[str, tuple[str, dict[str, Any]]]) -> list[StackProblem]:
        """An AWS_IAM or NONE gateway behind this runtime serves everyone as one GitHub account: refused unless
        `single_user: true` (the shared-account reproduction of issue 21)."""
        if spec.get("single_user"):
            return []
        problems = []
        for index, item in enumerate(spec.get("hand_off", [])):
            whole = EXPRESSION.fullmatch(item)
            ref = REF.match(whole.group(1).strip()) if whole else None
            logical = ref.group(1) if ref else ""
            kind, other = others.get(logical, ("", {}))
            authorizer = (other.get("authorizer") or {}).get("type") if kind == "gateway" else None
            if authorizer in SELF_SIGNING:
                problems.append(
                    StackProblem(
                        f"gateway {logical!r} uses {authorizer}: every user of this runtime would act as its role "
                        "and share one GitHub link",
                        ("hand_off", index),
                        "AgentCore Runtime passes nothing about its caller to the server. Use authorizer type "
                        'CUSTOM_JWT on the gateway (each user\'s own JWT; README "Doors"), or, if you alone '
                        "will invoke this runtime, say so with `single_user: true` here",
                    )
                )
        return problems

    def hand_off(self, address: str, live: Live) -> dict[str, Any]:
        keys = ("name", "arn", "invocation_url")
        door = {"authorizer": live.document["authorizer"]["type"]}
        return {"runtime": {"address": address, **{key: live.outputs[key] for key in keys}, **door}}

    def read(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live | None:
        runtime_id = next((r["agentRuntimeId"] for r in self._list(ctx) if r["agentRuntimeName"] == name), None)
        if runtime_id is None:
            return None
        with ignore_missing() as missing:
            found = ctx.clients.control.get_agent_runtime(agentRuntimeId=runtime_id)
        if missing:
            return None
        if found["status"] == "DELETING":
            return None
        return self._live(ctx, found, read_tags(ctx, found["agentRuntimeArn"]))

    def discover(self, ctx: Context, parents: dict[str, Live]) -> list[tuple[str, dict[str, Any]]]:
        prefix = f"{ctx.stack}_".replace("-", "_")
        return [(r["agentRuntimeName"], {}) for r in self._list(ctx) if r["agentRuntimeName"].startswith(prefix)]

    def create(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live:
        request = self._request(ctx, self.desired(name, spec, stack=ctx.stack))
        control = ctx.clients.control
        made = retry_iam_propagation(
            ctx,
            label=f"agent runtime {name}",
            call=lambda: control.create_agent_runtime(
                agentRuntimeName=name, **request, tags=ctx.owner_tags, clientToken=client_token()
            ),
        )
        return self._wait(ctx, made["agentRuntimeId"], name, after="create")

    def update(self, ctx: Context, live: Live, spec: dict[str, Any]) -> Live:
        request = {**live.unmanaged, **self._request(ctx, self.desired(live.name, spec, stack=ctx.stack))}
        runtime_id, control = live.outputs["id"], ctx.clients.control
        retry_iam_propagation(
            ctx,
            label=f"agent runtime {live.name}",
            call=lambda: control.update_agent_runtime(agentRuntimeId=runtime_id, **request, clientToken=client_token()),
        )
        return self._wait(ctx, runtime_id, live.name, after="update")

    def delete(self, ctx: Context, live: Live) -> None:
        control, runtime_id = ctx.clients.control, live.outputs["id"]
        with ignore_missing(_gone_or_denied) as missing:
            control.delete_agent_runtime(agentRuntimeId=runtime_id)
        if missing and _is_gone(control, runtime_id):
            return
        describe = partial(control.get_agent_runtime, agentRuntimeId=runtime_id)
        wait_until_gone(ctx, label=f"agent runtime {live.name}", describe=describe, failed=RUNTIME_DELETE_FAILED)

    def owners(self, ctx: Context) -> list[tuple[str, str]]:
        return tagged_owners(ctx, [(r["agentRuntimeName"], r["agentRuntimeArn"]) for r in self._list(ctx)])

    def tag(self, ctx: Context, live: Live, tags: dict[str, str]) -> None:
        ctx.clients.control.tag_resource(resourceArn=live.outputs["arn"], tags=tags)

    def _list(self, ctx: Context) -> list[dict[str, Any]]:
        def fetch() -> list[dict[str, Any]]:
            pages = ctx.clients.control.get_paginator("list_agent_runtimes").paginate()
            return [r for page in pages for r in page["agentRuntimes"]]

        found: list[dict[str, Any]] = ctx.memo(("list_agent_runtimes",), fetch)
        return found

    def _request(self, ctx: Context, doc: dict[str, Any]) -> dict[str, Any]:
        code = doc["code"]
        request: dict[str, Any] = {
            "agentRuntimeArtifact": {
                "codeConfiguration": {
                    "code": {"s3": {"bucket": code["bucket"], "prefix": code["key"]}},
                    "runtime": code["runtime"],
                    "entryPoint": code["entry_point"],
                }
            },
            "roleArn": doc["role_arn"],
            "networkConfiguration": {"networkMode": doc["network_mode"]},
            "protocolConfiguration": {
                "serverProtocol": doc["protocol"],
                **({"port": MCP_PORT} if doc["protocol"] == "MCP" else {}),
            },
        }
        if doc["description"]:
            request["description"] = doc["description"]
        if doc["authorizer"]["type"] == "CUSTOM_JWT":
            request["authorizerConfiguration"] = {"customJWTAuthorizer": _jwt_configuration(doc["authorizer"])}
        if doc["allowed_headers"]:
            request["requestHeaderConfiguration"] = {"requestHeaderAllowlist": doc["allowed_headers"]}
        environment = dict(doc["environment"])
        if doc["hand_off"]:
            environment[HAND_OFF_VARIABLE] = hand_off_text(
                doc["hand_off"],
                stack=ctx.stack,
                region=ctx.clients.region,
                limit=MAX_ENVIRONMENT_VALUE,
                holder="an environment variable (botocore's EnvironmentVariableValue)",
            )
        if environment:
            request["environmentVariables"] = environment
        return request

    def _wait(self, ctx: Context, runtime_id: str, name: str, *, after: Literal["create", "update"]) -> Live:
        found = wait_for_status(
            ctx,
            label=f"agent runtime {name}",
            describe=partial(ctx.clients.control.get_agent_runtime, agentRuntimeId=runtime_id),
            done=READY,
            failed=RUNTIME_FAILED,
            after=after,
        )
        return self._live(ctx, found, read_tags(ctx, found["agentRuntimeArn"]))

    def _live(self, ctx: Context, found: dict[str, Any], tags: dict[str, str]) -> Live:
        code = found.get("agentRuntimeArtifact", {}).get("codeConfiguration", {})
        s3 = code.get("code", {}).get("s3", {})
        unmanaged = unmanaged_settings(found, update="UpdateAgentRuntime", managed=MANAGED)
        endpoint = ctx.clients.control.meta.endpoint_url.replace("bedrock-agentcore-control.", "bedrock-agentcore.")
        arn = found["agentRuntimeArn"]
        environment: dict[str, str] = dict(found.get("environmentVariables") or {})
        return Live(
            name=found["agentRuntimeName"],
            owned=tags.get(OWNER_TAG) == ctx.stack,
            document={
                "description": found.get("description", ""),
                "role_arn": found["roleArn"],
                "code": {
                    "bucket": s3.get("bucket"),
                    "key": s3.get("prefix"),
                    "runtime": code.get("runtime"),
                    "entry_point": list(code.get("entryPoint", [])),
                },
                "protocol": (found.get("protocolConfiguration") or {}).get("serverProtocol", "HTTP"),
                "authorizer": _authorizer_of(found.get("authorizerConfiguration")),
                "network_mode": (found.get("networkConfiguration") or {}).get("networkMode"),
                "allowed_headers": sorted(
                    (found.get("requestHeaderConfiguration") or {}).get("requestHeaderAllowlist", []), key=str
                ),
                "environment": {k: v for k, v in environment.items() if k != HAND_OFF_VARIABLE},
                "hand_off": stored_hand_off(environment.get(HAND_OFF_VARIABLE)),
            },
            outputs={
                "id": found["agentRuntimeId"],
                "arn": arn,
                "name": found["agentRuntimeName"],
                "version": found["agentRuntimeVersion"],
                "invocation_url": f"{endpoint}/runtimes/{quote(arn, safe='')}/invocations?qualifier=DEFAULT",
            },
            status=found.get("status"),
            notes=carried_note({k: v for k, v in unmanaged.items() if k != "lifecycleConfiguration"}),
            unmanaged=unmanaged,
            tags=tags,
        )


def _allowed_headers(spec: dict[str, Any]) -> list[str]:
    """The listed headers, and `Authorization` for a CUSTOM_JWT runtime: the server forwards the caller's JWT to
    the gateway, and AgentCore passes the header on only when it is allow-listed (devguide
    "runtime-header-allowlist")."""
    headers = list(spec.get("allowed_headers", []))
    jwt = (spec.get("authorizer") or {}).get("type") == "CUSTOM_JWT"
    if jwt and not any(str(header).lower() == AUTHORIZATION.lower() for header in headers):
        headers.append(AUTHORIZATION)
    return sorted(headers, key=str)


def _authorizer(authorizer: dict[str, Any]) -> dict[str, Any]:
    """The compared form: the type alone for IAM; for CUSTOM_JWT the lists sorted (AWS keeps no order)."""
    if authorizer["type"] != "CUSTOM_JWT":
        return {"type": authorizer["type"]}
    lists = ("allowed_audience", "allowed_clients", "allowed_scopes")
    return {
        "type": "CUSTOM_JWT",
        "discovery_url": authorizer["discovery_url"],
        **{key: sorted(authorizer.get(key) or [], key=str) for key in lists},
    }


def _jwt_configuration(authorizer: dict[str, Any]) -> dict[str, Any]:
    """botocore CustomJWTAuthorizerConfiguration: empty lists left out (AWS would compare with nothing)."""
    names = {
        "allowed_audience": "allowedAudience",
        "allowed_clients": "allowedClients",
        "allowed_scopes": "allowedScopes",
    }
    return {
        "discoveryUrl": authorizer["discovery_url"],
        **{names[k]: v for k, v in authorizer.items() if k in names and v},
    }


def _authorizer_of(configuration: dict[str, Any] | None) -> dict[str, Any]:
    jwt = (configuration or {}).get("customJWTAuthorizer")
    if not jwt:
        return {"type": "AWS_IAM"}
    return {
        "type": "CUSTOM_JWT",
        "discovery_url": jwt.get("discoveryUrl"),
        "allowed_audience": sorted(jwt.get("allowedAudience") or [], key=str),
        "allowed_clients": sorted(jwt.get("allowedClients") or [], key=str),
        "allowed_scopes": sorted(jwt.get("allowedScopes") or [], key=str),
    }


def _merged(parts: list[Any]) -> Any:
    """The resources' parts as one, as the HandOff model writes it (defaults left out, so the live
    runtime's copy compares equal), only what the server reads; UNKNOWN until each is known (a
    resource to be created)."""
    if any(holds_unknown(part) for part in parts):
        return UNKNOWN
    merged = merge_parts(parts)
    try:
        config = HandOff.model_validate({**merged, "stack": "-", "region": "-"})
    except ValidationError:
        return merged  # apply says what is wrong (hand_off_text)
    return {k: v for k, v in config.model_dump(mode="json", exclude_defaults=True).items() if k in SERVER_FIELDS}


def _gone_or_denied(exc: ClientError) -> bool:
    """DeleteAgentRuntime of a runtime already gone can answer AccessDenied "... is not authorized to perform"
    (AWS_FACTS.md; Terraform's delete treats it as gone): such an answer is checked with `_is_gone`."""
    denied = error_code(exc) == "AccessDeniedException" and NOT_AUTHORIZED in error_message(exc)
    return is_not_found(exc) or denied


def _is_gone(control: Any, runtime_id: str) -> bool:
    """True when GetAgentRuntime says not found. A runtime that is still there means the AccessDenied was a real
    refusal, which is raised again so the user sees the permission it needs."""
    try:
        control.get_agent_runtime(agentRuntimeId=runtime_id)
    except aws.ClientError as exc:
        if is_not_found(exc):
            return True
        raise
    control.delete_agent_runtime(agentRuntimeId=runtime_id)  # raises the refusal with its own words
    return False
