"""Workload identities: who may receive OAuth2 return redirects (the callback URL)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from reconciler.aws import ignore_missing
from reconciler.kinds.agentcore import list_stack_names, read_tags, tagged_owners
from reconciler.kinds.base import Context, Kind, ResourceSpec, StrList
from reconciler.live import OWNER_TAG, Live


class WorkloadIdentitySpec(ResourceSpec):
    kind: Literal["workload_identity"]
    allowed_return_urls: StrList = []


class WorkloadIdentity(Kind):
    kind = "workload_identity"
    spec_model = WorkloadIdentitySpec
    attributes = frozenset({"arn", "name"})
    name_pattern = r"[A-Za-z0-9_.-]{3,255}"
    name_hint = "3-255 letters, digits or _.-"

    def desired(self, name: str, spec: dict[str, Any], *, stack: str, current: Live | None = None) -> dict[str, Any]:
        return {"allowed_return_urls": sorted(spec.get("allowed_return_urls", []), key=str)}

    def hand_off(self, address: str, live: Live) -> dict[str, Any]:
        return {"workload_identities": [{"address": address, "name": live.name, "arn": live.outputs["arn"]}]}

    def read(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live | None:
        with ignore_missing() as missing:
            found = ctx.clients.control.get_workload_identity(name=name)
        if missing:
            return None
        arn = found["workloadIdentityArn"]
        tags = read_tags(ctx, arn)
        return Live(
            name=name,
            owned=tags.get(OWNER_TAG) == ctx.stack,
            document={"allowed_return_urls": sorted(found.get("allowedResourceOauth2ReturnUrls", []), key=str)},
            outputs={"arn": arn, "name": name},
            tags=tags,
        )

    def discover(self, ctx: Context, parents: dict[str, Live]) -> list[tuple[str, dict[str, Any]]]:
        pages = ctx.clients.control.get_paginator("list_workload_identities").paginate()
        return [(name, {}) for name in list_stack_names(pages, "workloadIdentities", ctx.stack)]

    def owners(self, ctx: Context) -> list[tuple[str, str]]:
        pages = ctx.clients.control.get_paginator("list_workload_identities").paginate()
        items = [(w["name"], w["workloadIdentityArn"]) for page in pages for w in page["workloadIdentities"]]
        return tagged_owners(ctx, items)

    def create(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live:
        urls = self.desired(name, spec, stack=ctx.stack)["allowed_return_urls"]
        made = ctx.clients.control.create_workload_identity(
            name=name, allowedResourceOauth2ReturnUrls=urls, tags=ctx.owner_tags
        )
        return Live(
            name=name,
            owned=True,
            document={"allowed_return_urls": urls},
            outputs={"arn": made["workloadIdentityArn"], "name": name},
            tags=ctx.owner_tags,
        )

    def update(self, ctx: Context, live: Live, spec: dict[str, Any]) -> Live:
        urls = self.desired(live.name, spec, stack=ctx.stack)["allowed_return_urls"]
        ctx.clients.control.update_workload_identity(name=live.name, allowedResourceOauth2ReturnUrls=urls)
        return replace(live, document={"allowed_return_urls": urls})

    def delete(self, ctx: Context, live: Live) -> None:
        with ignore_missing():
            ctx.clients.control.delete_workload_identity(name=live.name)

    def tag(self, ctx: Context, live: Live, tags: dict[str, str]) -> None:
        ctx.clients.control.tag_resource(resourceArn=live.outputs["arn"], tags=tags)
