"""The MCP server on AgentCore Runtime (issue 14): CreateAgentRuntime with direct code deployment
from the code artifact, `serverProtocol: MCP`, IAM (SigV4) inbound auth (no authorizerConfiguration,
so mcp-proxy-for-aws reaches it), the header that carries the user's JWT allow-listed, and the
environment that points the server at its configuration.

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
from typing import Any, Literal
from urllib.parse import quote

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from reconciler.aws import is_not_found
from reconciler.kinds.agentcore import (
    READY,
    RUNTIME_DELETE_FAILED,
    RUNTIME_FAILED,
    carried_note,
    client_token,
    read_tags,
    unmanaged_settings,
)
from reconciler.kinds.base import OWNER_TAG, Context, Kind, Live, ResourceSpec, StrList
from reconciler.kinds.waiting import retry_iam_propagation, wait_for_status, wait_until_gone
from reconciler.packaging import ENTRY_POINT

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


class RuntimeCode(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bucket: str
    key: str
    runtime: str
    entry_point: StrList = list(ENTRY_POINT)


class AgentRuntimeSpec(ResourceSpec):
    kind: Literal["agent_runtime"]
    description: str = ""
    role_arn: str
    code: RuntimeCode
    protocol: Literal["MCP", "HTTP", "A2A", "AGUI"] = "MCP"
    allowed_headers: StrList = []
    environment: dict[str, str] = {}


class AgentRuntime(Kind):
    kind = "agent_runtime"
    spec_model = AgentRuntimeSpec
    discovery_group = "runtime"
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
            "inbound_auth": "AWS_IAM",
            "network_mode": "PUBLIC",
            "allowed_headers": sorted(spec.get("allowed_headers", []), key=str),
            "environment": dict(spec.get("environment", {})),
        }

    def hand_off(self, address: str, live: Live) -> dict[str, Any]:
        keys = ("name", "arn", "invocation_url")
        return {"runtime": {"address": address, **{key: live.outputs[key] for key in keys}}}

    def read(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live | None:
        runtime_id = next((r["agentRuntimeId"] for r in self._list(ctx) if r["agentRuntimeName"] == name), None)
        if runtime_id is None:
            return None
        try:
            found = ctx.clients.control.get_agent_runtime(agentRuntimeId=runtime_id)
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise
        if found["status"] == "DELETING":
            return None
        return self._live(ctx, found, read_tags(ctx, found["agentRuntimeArn"]))

    def discover(self, ctx: Context, parents: dict[str, Live]) -> list[tuple[str, dict[str, Any]]]:
        prefix = f"{ctx.stack}_".replace("-", "_")
        return [(r["agentRuntimeName"], {}) for r in self._list(ctx) if r["agentRuntimeName"].startswith(prefix)]

    def create(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live:
        request = self._request(self.desired(name, spec, stack=ctx.stack))
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
        request = {**live.unmanaged, **self._request(self.desired(live.name, spec, stack=ctx.stack))}
        runtime_id, control = live.outputs["id"], ctx.clients.control
        retry_iam_propagation(
            ctx,
            label=f"agent runtime {live.name}",
            call=lambda: control.update_agent_runtime(agentRuntimeId=runtime_id, **request, clientToken=client_token()),
        )
        return self._wait(ctx, runtime_id, live.name, after="update")

    def delete(self, ctx: Context, live: Live) -> None:
        control, runtime_id = ctx.clients.control, live.outputs["id"]
        try:
            control.delete_agent_runtime(agentRuntimeId=runtime_id)
        except ClientError as exc:
            if is_not_found(exc):
                return
            raise
        describe = partial(control.get_agent_runtime, agentRuntimeId=runtime_id)
        wait_until_gone(ctx, label=f"agent runtime {live.name}", describe=describe, failed=RUNTIME_DELETE_FAILED)

    def tag(self, ctx: Context, live: Live, tags: dict[str, str]) -> None:
        ctx.clients.control.tag_resource(resourceArn=live.outputs["arn"], tags=tags)

    def _list(self, ctx: Context) -> list[dict[str, Any]]:
        def fetch() -> list[dict[str, Any]]:
            pages = ctx.clients.control.get_paginator("list_agent_runtimes").paginate()
            return [r for page in pages for r in page["agentRuntimes"]]

        found: list[dict[str, Any]] = ctx.memo(("list_agent_runtimes",), fetch)
        return found

    def _request(self, doc: dict[str, Any]) -> dict[str, Any]:
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
            "protocolConfiguration": {"serverProtocol": doc["protocol"]},
        }
        if doc["description"]:
            request["description"] = doc["description"]
        if doc["allowed_headers"]:
            request["requestHeaderConfiguration"] = {"requestHeaderAllowlist": doc["allowed_headers"]}
        if doc["environment"]:
            request["environmentVariables"] = doc["environment"]
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
                "inbound_auth": "CUSTOM_JWT" if found.get("authorizerConfiguration") else "AWS_IAM",
                "network_mode": (found.get("networkConfiguration") or {}).get("networkMode"),
                "allowed_headers": sorted(
                    (found.get("requestHeaderConfiguration") or {}).get("requestHeaderAllowlist", []), key=str
                ),
                "environment": dict(found.get("environmentVariables") or {}),
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
