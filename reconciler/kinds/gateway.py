"""MCP gateways. Found by name through ListGateways; addressed by id afterwards.

`protocol.supported_versions` is a ratchet on AWS (versions can be removed, not added back:
aws/aws-cli#10346), so any change to it is planned as a replace.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from reconciler.aws import CONTROL_SERVICE, ignore_missing
from reconciler.kinds.agentcore import (
    DELETE_FAILED,
    GATEWAY_FAILED,
    READY,
    TARGET_PENDING_AUTH,
    carried_note,
    client_token,
    list_stack_names,
    pending_auth_refusal,
    read_listed,
    read_tags,
    tagged_owners,
    unmanaged_settings,
)
from reconciler.kinds.base import Context, Kind, ResourceSpec, StrList, drop_empty
from reconciler.kinds.waiting import (
    ResourceFailed,
    retry_iam_propagation,
    wait_for_status,
    wait_until_gone,
)
from reconciler.live import OWNER_TAG, Live

MANAGED = frozenset(
    {"gatewayIdentifier", "name", "description", "roleArn", "protocolType", "protocolConfiguration"}
    | {"authorizerType", "authorizerConfiguration", "exceptionLevel"}
)
"""The UpdateGateway fields the stack sets; the others are carried over from the live gateway."""
DISCOVERY = re.compile(r"[^\s?#]+/\.well-known/(openid-configuration|oauth-authorization-server)(/[^\s?#]+)?")


class McpProtocol(BaseModel):
    model_config = ConfigDict(extra="forbid")
    supported_versions: list[str] = ["2025-11-25"]
    search_type: Literal["SEMANTIC"] | None = None
    instructions: str | None = None


SELF_SIGNING = frozenset({"AWS_IAM", "NONE"})
"""Authorizers whose calls carry the calling server's own identity rather than its caller's (DESIGN §3)."""


class Authorizer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["CUSTOM_JWT", "AWS_IAM", "NONE"]
    discovery_url: str | None = None
    allowed_audience: StrList = []
    allowed_clients: StrList = []
    allowed_scopes: StrList = []

    @field_validator("discovery_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _jwt_needs_discovery(self) -> Authorizer:
        check_jwt_keys(self)
        if self.type != "CUSTOM_JWT" and (
            self.discovery_url or self.allowed_clients or self.allowed_audience or self.allowed_scopes
        ):
            raise ValueError(f"discovery_url and allowed_* only apply to CUSTOM_JWT, not {self.type}")
        return self


def check_jwt_keys(authorizer: Authorizer) -> None:
    """A CUSTOM_JWT authorizer names its issuer and narrows the tokens it takes."""
    if authorizer.type == "CUSTOM_JWT" and not authorizer.discovery_url:
        raise ValueError(
            "CUSTOM_JWT needs discovery_url, the issuer's .well-known/openid-configuration URL "
            "(the shipped stack.yaml reads it from OIDC_DISCOVERY_URL)"
        )
    url = authorizer.discovery_url
    if url and "${" not in url and not DISCOVERY.fullmatch(url):
        raise ValueError(f"discovery_url must end in /.well-known/openid-configuration, got {url!r}")
    if authorizer.type == "CUSTOM_JWT" and not (
        authorizer.allowed_audience or authorizer.allowed_clients or authorizer.allowed_scopes
    ):
        raise ValueError(
            "CUSTOM_JWT needs allowed_audience, allowed_clients or allowed_scopes, or any token of the issuer would do"
        )


class GatewaySpec(ResourceSpec):
    kind: Literal["gateway"]
    description: str = ""
    role_arn: str
    protocol: McpProtocol = McpProtocol()
    authorizer: Authorizer
    exception_level: Literal["DEBUG"] | None = None
    allowed_return_urls: StrList = []
    """Registered on the gateway's own workload identity: where AgentCore may send the browser after consent."""


def list_gateways(ctx: Context) -> list[dict[str, Any]]:
    def fetch() -> list[dict[str, Any]]:
        pages = ctx.clients.control.get_paginator("list_gateways").paginate()
        return [g for page in pages for g in page["items"]]

    found: list[dict[str, Any]] = ctx.memo(("list_gateways",), fetch)
    return found


def identity_name(found: dict[str, Any]) -> str | None:
    """The gateway's own workload identity: the last segment of workloadIdentityDetails' ARN."""
    arn = (found.get("workloadIdentityDetails") or {}).get("workloadIdentityArn")
    return str(arn).rsplit("/", 1)[-1] if arn else None


def find_gateway_id(ctx: Context, name: str) -> str | None:
    return next((g["gatewayId"] for g in list_gateways(ctx) if g["name"] == name), None)


class Gateway(Kind):
    kind = "gateway"
    statuses = {
        (CONTROL_SERVICE, "GatewayStatus"): READY | GATEWAY_FAILED | DELETE_FAILED,
        (CONTROL_SERVICE, "TargetStatus"): TARGET_PENDING_AUTH | DELETE_FAILED,  # its targets, deleted first
    }
    spec_model = GatewaySpec
    attributes = frozenset({"id", "arn", "url", "name"})
    force_new = frozenset({("protocol", "supported_versions"), ("authorizer", "type")})
    name_pattern = r"(?:[0-9a-zA-Z]-?){1,48}"
    name_hint = "up to 48 letters or digits, single hyphens between them"

    def desired(self, name: str, spec: dict[str, Any], *, stack: str, current: Live | None = None) -> dict[str, Any]:
        protocol, authorizer = spec["protocol"], spec["authorizer"]
        return {
            "description": spec.get("description", ""),
            "role_arn": spec["role_arn"],
            "protocol": {
                "supported_versions": sorted(protocol.get("supported_versions", []), key=str),
                "search_type": protocol.get("search_type"),
                "instructions": protocol.get("instructions"),
            },
            "authorizer": {
                "type": authorizer["type"],
                "discovery_url": authorizer.get("discovery_url"),
                **{
                    k: sorted(authorizer.get(k, []), key=str)
                    for k in ("allowed_audience", "allowed_clients", "allowed_scopes")
                },
            },
            "exception_level": spec.get("exception_level"),
            "allowed_return_urls": sorted(spec.get("allowed_return_urls", []), key=str),
        }

    def hand_off(self, address: str, live: Live) -> dict[str, Any]:
        return {
            "gateway": {
                **{k: live.outputs[k] for k in ("id", "arn", "url", "name")},
                "authorizer": live.document["authorizer"],
            }
        }

    def read(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live | None:
        gateway_id = find_gateway_id(ctx, name)
        if gateway_id is None:
            return None
        found = read_listed(ctx, lambda: ctx.clients.control.get_gateway(gatewayIdentifier=gateway_id))
        if found is None:
            return None
        return self._with_identity(ctx, found)

    def lookup(self, ctx: Context, name: str, spec: dict[str, Any]) -> dict[str, Any] | None:
        """The id, from the same (memoized) ListGateways that `read` starts with: targets need nothing else."""
        gateway_id = find_gateway_id(ctx, name)
        return None if gateway_id is None else {"id": gateway_id}

    def discover(self, ctx: Context, parents: dict[str, Live]) -> list[tuple[str, dict[str, Any]]]:
        return [(name, {}) for name in list_stack_names([{"items": list_gateways(ctx)}], "items", ctx.stack)]

    def owners(self, ctx: Context) -> list[tuple[str, str]]:
        control = ctx.clients.control
        items = [
            (g["name"], control.get_gateway(gatewayIdentifier=g["gatewayId"])["gatewayArn"]) for g in list_gateways(ctx)
        ]
        return tagged_owners(ctx, items)

    def create(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live:
        request = self._request(self.desired(name, spec, stack=ctx.stack), name)
        control = ctx.clients.control
        made = retry_iam_propagation(
            ctx,
            label=f"gateway {name}",
            call=lambda: control.create_gateway(**request, tags=ctx.owner_tags, clientToken=client_token()),
        )
        live = self._wait(ctx, made["gatewayId"], name, created=True)
        return self._register_return_urls(ctx, live, spec)

    def update(self, ctx: Context, live: Live, spec: dict[str, Any]) -> Live:
        request = {**live.unmanaged, **self._request(self.desired(live.name, spec, stack=ctx.stack), live.name)}
        control, gateway_id = ctx.clients.control, live.outputs["id"]
        retry_iam_propagation(
            ctx,
            label=f"gateway {live.name}",
            call=lambda: control.update_gateway(gatewayIdentifier=gateway_id, **request),
        )
        updated = self._wait(ctx, gateway_id, live.name, created=False)
        return self._register_return_urls(ctx, updated, spec)

    def delete(self, ctx: Context, live: Live) -> None:
        """Targets first: AWS refuses to delete a gateway that still has targets."""
        control, gateway_id = ctx.clients.control, live.outputs["id"]
        pages = control.get_paginator("list_gateway_targets").paginate(gatewayIdentifier=gateway_id)
        for target in [t for page in pages for t in page["items"]]:
            if target.get("status") in TARGET_PENDING_AUTH:
                raise ResourceFailed(pending_auth_refusal("target", target["name"], target["status"], None))
            control.delete_gateway_target(gatewayIdentifier=gateway_id, targetId=target["targetId"])
            describe = partial(control.get_gateway_target, gatewayIdentifier=gateway_id, targetId=target["targetId"])
            label = f"target {target['name']} of gateway {live.name}"
            wait_until_gone(ctx, label=label, describe=describe, failed=DELETE_FAILED)
        with ignore_missing() as missing:
            control.delete_gateway(gatewayIdentifier=gateway_id)
        if missing:
            return
        describe = partial(control.get_gateway, gatewayIdentifier=gateway_id)
        wait_until_gone(ctx, label=f"gateway {live.name}", describe=describe, failed=DELETE_FAILED)

    def tag(self, ctx: Context, live: Live, tags: dict[str, str]) -> None:
        ctx.clients.control.tag_resource(resourceArn=live.outputs["arn"], tags=tags)

    def _request(self, doc: dict[str, Any], name: str) -> dict[str, Any]:
        protocol, authorizer = doc["protocol"], doc["authorizer"]
        jwt = drop_empty(
            {
                "discoveryUrl": authorizer["discovery_url"],
                "allowedAudience": authorizer["allowed_audience"],
                "allowedClients": authorizer["allowed_clients"],
                "allowedScopes": authorizer["allowed_scopes"],
            }
        )
        return drop_empty(
            {
                "name": name,
                "description": doc["description"],
                "roleArn": doc["role_arn"],
                "protocolType": "MCP",
                "protocolConfiguration": {
                    "mcp": drop_empty(
                        {
                            "supportedVersions": protocol["supported_versions"],
                            "searchType": protocol["search_type"],
                            "instructions": protocol["instructions"],
                        }
                    )
                },
                "authorizerType": authorizer["type"],
                "authorizerConfiguration": {"customJWTAuthorizer": jwt} if jwt else None,
                "exceptionLevel": doc["exception_level"],
            }
        )

    def _wait(self, ctx: Context, gateway_id: str, name: str, *, created: bool) -> Live:
        found = wait_for_status(
            ctx,
            label=f"gateway {name}",
            done=READY,
            failed=GATEWAY_FAILED,
            describe=partial(ctx.clients.control.get_gateway, gatewayIdentifier=gateway_id),
            after="create" if created else "update",
        )
        return self._with_identity(ctx, found)

    def _with_identity(self, ctx: Context, found: dict[str, Any]) -> Live:
        """The gateway plus the return URLs on its own workload identity (AWS makes one per gateway)."""
        identity, control = identity_name(found), ctx.clients.control
        tags, urls = ctx.gather(
            lambda: read_tags(ctx, found["gatewayArn"]),
            lambda: (
                control.get_workload_identity(name=identity).get("allowedResourceOauth2ReturnUrls", [])
                if identity
                else []
            ),
        )
        return self.read_back(found, tags, ctx.stack, return_urls=urls)

    def _register_return_urls(self, ctx: Context, live: Live, spec: dict[str, Any]) -> Live:
        """UpdateWorkloadIdentity on the gateway's identity: AgentCore redirects only to URLs registered there."""
        urls = sorted(spec.get("allowed_return_urls", []), key=str)
        if urls == live.document["allowed_return_urls"]:
            return live
        identity = live.outputs.get("workload_identity")
        if not identity:
            raise ResourceFailed(
                f"gateway {live.name} reports no workload identity (workloadIdentityDetails), so its return URLs "
                "cannot be registered; AgentCore creates one for every gateway: re-run apply once it shows"
            )
        ctx.clients.control.update_workload_identity(name=identity, allowedResourceOauth2ReturnUrls=urls)
        return replace(live, document={**live.document, "allowed_return_urls": urls})

    def read_back(self, found: dict[str, Any], tags: dict[str, str], stack: str, *, return_urls: list[str]) -> Live:
        mcp = found.get("protocolConfiguration", {}).get("mcp", {})
        jwt = found.get("authorizerConfiguration", {}).get("customJWTAuthorizer", {})
        document = {
            "description": found.get("description", ""),
            "role_arn": found["roleArn"],
            "protocol": {
                "supported_versions": sorted(mcp.get("supportedVersions", []), key=str),
                "search_type": mcp.get("searchType"),
                "instructions": mcp.get("instructions"),
            },
            "authorizer": {
                "type": found["authorizerType"],
                "discovery_url": jwt.get("discoveryUrl"),
                "allowed_audience": sorted(jwt.get("allowedAudience", []), key=str),
                "allowed_clients": sorted(jwt.get("allowedClients", []), key=str),
                "allowed_scopes": sorted(jwt.get("allowedScopes", []), key=str),
            },
            "exception_level": found.get("exceptionLevel"),
            "allowed_return_urls": sorted(return_urls, key=str),
        }
        unmanaged = unmanaged_settings(found, update="UpdateGateway", managed=MANAGED)
        return Live(
            name=found["name"],
            owned=tags.get(OWNER_TAG) == stack,
            document=document,
            outputs={
                "id": found["gatewayId"],
                "arn": found["gatewayArn"],
                "url": found.get("gatewayUrl", ""),
                "name": found["name"],
                **({"workload_identity": identity} if (identity := identity_name(found)) else {}),
            },
            status=found.get("status"),
            notes=carried_note(unmanaged),
            tags=tags,
            unmanaged=unmanaged,
        )
