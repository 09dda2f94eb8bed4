"""Gateway targets built from an OpenAPI file, with OAuth (authorization code) outbound auth.

A target has no tags: it is owned through its gateway. One with an AUTHORIZATION_CODE provider
may rest in CREATE_PENDING_AUTH: a successful end of create (hashicorp/terraform-provider-aws#48114),
and AWS refuses to update or delete it until someone opens the authorization URL.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from reconciler.aws import CONTROL_SERVICE, ignore_missing
from reconciler.diagnostics import Diagnostic
from reconciler.kinds.agentcore import (
    DELETE_FAILED,
    READY,
    TARGET_FAILED,
    TARGET_PENDING_AUTH,
    carried_note,
    client_token,
    pending_auth_refusal,
    read_listed,
    unmanaged_settings,
)
from reconciler.kinds.base import Context, Kind, ResourceSpec, StrList, drop_empty
from reconciler.kinds.waiting import (
    ResourceFailed,
    retry_iam_propagation,
    wait_for_status,
    wait_until_gone,
)
from reconciler.live import APPLIED_TAG, Live
from reconciler.spec.interpolation import Unknown
from reconciler.spec.openapi_check import load_openapi, operation_ids, operation_presentations
from reconciler.spec.yaml_lines import SAFE_LOADER

DONE = READY | TARGET_PENDING_AUTH
MANAGED = frozenset(
    {"gatewayIdentifier", "targetId", "name", "description", "targetConfiguration", "credentialProviderConfigurations"}
)
"""The UpdateGatewayTarget fields the stack sets; the others are carried over from the live target."""


class OAuthCredential(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider_arn: str
    scopes: StrList
    grant_type: Literal["AUTHORIZATION_CODE", "CLIENT_CREDENTIALS"] = "AUTHORIZATION_CODE"
    default_return_url: str | None = None
    custom_parameters: dict[str, str] = {}

    @model_validator(mode="after")
    def _return_url_for_user_consent(self) -> OAuthCredential:
        """Required in practice for AUTHORIZATION_CODE (Terraform's and Pulumi's docs for the target)."""
        if self.grant_type == "AUTHORIZATION_CODE" and not self.default_return_url:
            raise ValueError(
                "AUTHORIZATION_CODE needs default_return_url: where AgentCore sends the browser after consent "
                "(the oauth-callback URL, e.g. ${var.callback_url})"
            )
        return self


class GatewayTargetSpec(ResourceSpec):
    kind: Literal["gateway_target"]
    gateway: str
    description: str = ""
    openapi: str
    oauth: OAuthCredential


class GatewayTarget(Kind):
    kind = "gateway_target"
    statuses = {(CONTROL_SERVICE, "TargetStatus"): DONE | TARGET_FAILED | DELETE_FAILED}
    spec_model = GatewayTargetSpec
    attributes = frozenset({"id", "name", "gateway_id"})
    force_new = frozenset({("gateway",)})
    owner_field = "gateway"
    owner_kind = "gateway"
    name_pattern = r"(?:[0-9a-zA-Z]-?){1,100}"
    name_hint = "up to 100 letters or digits, single hyphens between them"

    def spec_files(self, spec: dict[str, Any], base_dir: Path) -> list[Path]:
        return [base_dir / spec["openapi"]]

    def owner_name(self, ctx: Context, child: Live) -> str | None:
        with ignore_missing() as missing:
            found = ctx.clients.control.get_gateway(gatewayIdentifier=child.outputs["gateway_id"])
        return None if missing else str(found["name"])

    def load_files(self, spec: ResourceSpec, base_dir: Path) -> tuple[dict[str, Any], list[Diagnostic]]:
        """The OpenAPI file must lie under the stack file's folder: a stack from a pull request must not
        make the plan read (and echo) /etc/passwd or /proc/self/environ."""
        assert isinstance(spec, GatewayTargetSpec)
        path = (base_dir / spec.openapi).resolve()
        if not path.is_relative_to(base_dir.resolve()):
            where = f"{base_dir / 'stack.yaml'}"
            return {"openapi_document": None}, [
                Diagnostic(
                    f"openapi: {spec.openapi!r} points outside the stack's folder",
                    "put the OpenAPI file next to stack.yaml (or below it) and name it relative to it",
                    file=where,
                )
            ]
        document, problems = load_openapi(path)
        return {"openapi_document": document}, problems

    def desired(self, name: str, spec: dict[str, Any], *, stack: str, current: Live | None = None) -> dict[str, Any]:
        oauth = spec["oauth"]
        return {
            "gateway": spec["gateway"],
            "description": spec.get("description", ""),
            "openapi": spec["openapi_document"],
            "oauth": {
                "provider_arn": oauth["provider_arn"],
                "scopes": sorted(oauth["scopes"], key=str),
                "grant_type": oauth["grant_type"],
                "default_return_url": oauth.get("default_return_url"),
                "custom_parameters": oauth.get("custom_parameters", {}),
            },
        }

    def hand_off(self, address: str, live: Live) -> dict[str, Any]:
        return_url = live.document["oauth"]["default_return_url"]
        document = live.document["openapi"] or {}
        tools = {op: f"{live.name}___{op}" for op in operation_ids(document)}
        target = {"address": address, "name": live.name, "id": live.outputs["id"], "status": live.status}
        return {
            "targets": [{**target, "return_url": return_url, "tools": tools}],
            "tools": tools,
            "operations": operation_presentations(document),
            "callback_url": return_url,
        }

    def owners(self, ctx: Context) -> list[tuple[str, str]]:
        """The targets of every gateway a stack owns, counted with that stack (`reconcile stacks`): a target
        carries no tag of its own, it is owned through its gateway."""
        from reconciler.kinds.gateway import list_gateways

        owned = dict((name, stack) for stack, name in ctx.kinds["gateway"].owners(ctx))
        return [
            (owned[gateway["name"]], target["name"])
            for gateway in list_gateways(ctx)
            if gateway["name"] in owned
            for target in self._list(ctx, gateway["gatewayId"])
        ]

    def tag(self, ctx: Context, live: Live, tags: dict[str, str]) -> None:
        """A target takes no tags: its tags live on its gateway, which owns it."""
        ctx.clients.control.tag_resource(resourceArn=live.outputs["gateway_arn"], tags=tags)

    def applied_key(self, name: str) -> str:
        return f"{APPLIED_TAG}:{name}"

    def applied_fingerprint(self, live: Live, parent: Live | None) -> str | None:
        return parent.tags.get(self.applied_key(live.name)) if parent else None

    def read(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live | None:
        gateway_id = spec["gateway"]
        if isinstance(gateway_id, Unknown):
            return None
        target_id = self._find(ctx, gateway_id, name)
        if target_id is None:
            return None
        control = ctx.clients.control
        found = read_listed(ctx, lambda: control.get_gateway_target(gatewayIdentifier=gateway_id, targetId=target_id))
        if found is None:
            return None
        return self._live(gateway_id, found)

    def discover(self, ctx: Context, parents: dict[str, Live]) -> list[tuple[str, dict[str, Any]]]:
        """Targets of this stack's own gateways."""
        return [
            (target["name"], {"gateway": gateway_id})
            for gateway_id, gateway in parents.items()
            if gateway.owned
            for target in self._list(ctx, gateway_id)
        ]

    def create(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live:
        doc, control = self.desired(name, spec, stack=ctx.stack), ctx.clients.control
        request = self._request(doc, name)
        made = retry_iam_propagation(
            ctx,
            label=f"target {name}",
            call=lambda: control.create_gateway_target(**request, clientToken=client_token()),
        )
        return self._wait(ctx, doc["gateway"], made["targetId"], name, created=True)

    def update(self, ctx: Context, live: Live, spec: dict[str, Any]) -> Live:
        self._refuse_pending_auth(live)
        doc, control = self.desired(live.name, spec, stack=ctx.stack), ctx.clients.control
        request = {**live.unmanaged, **self._request(doc, live.name)}
        retry_iam_propagation(
            ctx,
            label=f"target {live.name}",
            call=lambda: control.update_gateway_target(**request, targetId=live.outputs["id"]),
        )
        return self._wait(ctx, doc["gateway"], live.outputs["id"], live.name, created=False)

    def delete(self, ctx: Context, live: Live) -> None:
        self._refuse_pending_auth(live)
        control, gateway_id, target_id = ctx.clients.control, live.outputs["gateway_id"], live.outputs["id"]
        with ignore_missing() as missing:
            control.delete_gateway_target(gatewayIdentifier=gateway_id, targetId=target_id)
        if missing:
            return
        describe = partial(control.get_gateway_target, gatewayIdentifier=gateway_id, targetId=target_id)
        wait_until_gone(ctx, label=f"target {live.name}", describe=describe, failed=DELETE_FAILED)

    def _refuse_pending_auth(self, live: Live) -> None:
        if live.status in TARGET_PENDING_AUTH:
            raise ResourceFailed(
                pending_auth_refusal("target", live.name, str(live.status), live.outputs.get("authorization_url"))
            )

    def _find(self, ctx: Context, gateway_id: str, name: str) -> str | None:
        return next((t["targetId"] for t in self._list(ctx, gateway_id) if t["name"] == name), None)

    def _list(self, ctx: Context, gateway_id: str) -> list[dict[str, Any]]:
        def fetch() -> list[dict[str, Any]]:
            pages = ctx.clients.control.get_paginator("list_gateway_targets").paginate(gatewayIdentifier=gateway_id)
            return [t for page in pages for t in page["items"]]

        found: list[dict[str, Any]] = ctx.memo(("list_gateway_targets", gateway_id), fetch)
        return found

    def _request(self, doc: dict[str, Any], name: str) -> dict[str, Any]:
        oauth = doc["oauth"]
        provider = drop_empty(
            {
                "providerArn": oauth["provider_arn"],
                "scopes": oauth["scopes"],
                "grantType": oauth["grant_type"],
                "defaultReturnUrl": oauth["default_return_url"],
                "customParameters": oauth["custom_parameters"],
            }
        )
        return drop_empty(
            {
                "gatewayIdentifier": doc["gateway"],
                "name": name,
                "description": doc["description"],
                "targetConfiguration": {"mcp": {"openApiSchema": {"inlinePayload": json.dumps(doc["openapi"])}}},
                "credentialProviderConfigurations": [
                    {"credentialProviderType": "OAUTH", "credentialProvider": {"oauthCredentialProvider": provider}}
                ],
            }
        )

    def _wait(self, ctx: Context, gateway_id: str, target_id: str, name: str, *, created: bool) -> Live:
        found = wait_for_status(
            ctx,
            label=f"target {name}",
            done=DONE,
            failed=TARGET_FAILED,
            describe=partial(ctx.clients.control.get_gateway_target, gatewayIdentifier=gateway_id, targetId=target_id),
            after="create" if created else "update",
        )
        return self._live(gateway_id, found)

    def _live(self, gateway_id: str, found: dict[str, Any]) -> Live:
        payload = found.get("targetConfiguration", {}).get("mcp", {}).get("openApiSchema", {}).get("inlinePayload", "")
        configs = found.get("credentialProviderConfigurations") or [{}]
        oauth = configs[0].get("credentialProvider", {}).get("oauthCredentialProvider", {})
        auth_url = found.get("authorizationData", {}).get("oauth2", {}).get("authorizationUrl")
        unmanaged = unmanaged_settings(found, update="UpdateGatewayTarget", managed=MANAGED)
        return Live(
            name=found["name"],
            owned=True,
            document={
                "gateway": gateway_id,
                "description": found.get("description", ""),
                "openapi": yaml.load(payload, Loader=SAFE_LOADER) if payload else None,
                "oauth": {
                    "provider_arn": oauth.get("providerArn"),
                    "scopes": sorted(oauth.get("scopes", []), key=str),
                    "grant_type": oauth.get("grantType"),
                    "default_return_url": oauth.get("defaultReturnUrl"),
                    "custom_parameters": oauth.get("customParameters", {}),
                },
            },
            outputs={
                "id": found["targetId"],
                "name": found["name"],
                "gateway_id": gateway_id,
                "gateway_arn": found["gatewayArn"],
                **({"authorization_url": auth_url} if auth_url else {}),
            },
            status=found.get("status"),
            notes=carried_note(unmanaged)
            + ((f"authorize at {auth_url}",) if auth_url and found.get("status") in TARGET_PENDING_AUTH else ()),
            unmanaged=unmanaged,
        )
