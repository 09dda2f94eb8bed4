"""IAM roles (gateway execution role, runtime role): one inline policy and the attached managed
policies are managed; any other inline or attached policy on an owned role is drift, shown and removed.

IAM is global while the stack lives in a region: roles carry their home region in a tag
(`reconcile:region`), and a role tagged for the same stack in another region is not this stack's
(it is kept, and the plan says why). Roles from before that tag count as owned and get it on update.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from reconciler.aws import ignore_missing
from reconciler.kinds.base import Context, Kind, ResourceSpec, StrList
from reconciler.live import OWNER_TAG, REGION_TAG, Live

INLINE_POLICY = "reconcile"


class IamRoleSpec(ResourceSpec):
    kind: Literal["iam_role"]
    description: str = ""
    assume_role_policy: dict[str, Any]
    policy: dict[str, Any] | None = None
    managed_policy_arns: StrList = []


def normalize_policy(doc: dict[str, Any] | str | None) -> dict[str, Any] | None:
    """IAM may echo a statement or action as a scalar or a list; compare them as sorted lists."""
    if doc is None:
        return None
    parsed: dict[str, Any] = json.loads(doc) if isinstance(doc, str) else doc
    statements = parsed.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    return {**parsed, "Statement": [_normalize_statement(s) for s in statements]}


def _normalize_statement(statement: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in statement.items():
        if key in ("Action", "NotAction", "Resource", "NotResource"):
            # A scalar may also be a reference not known before apply (interpolation.Unknown).
            out[key] = sorted(value if isinstance(value, list) else [value], key=str)
        elif key == "Principal" and isinstance(value, dict):
            out[key] = {k: sorted([v] if isinstance(v, str) else v, key=str) for k, v in value.items()}
        else:
            out[key] = value
    return out


class IamRole(Kind):
    kind = "iam_role"
    spec_model = IamRoleSpec
    attributes = frozenset({"arn", "name"})
    name_pattern = r"[\w+=,.@-]{1,64}"
    name_hint = "1-64 letters, digits or +=,.@_-"

    def path(self, ctx: Context) -> str:
        return f"/reconcile/{ctx.stack}/"

    def desired(self, name: str, spec: dict[str, Any], *, stack: str, current: Live | None = None) -> dict[str, Any]:
        return {
            "description": spec.get("description", ""),
            "assume_role_policy": normalize_policy(spec["assume_role_policy"]),
            "policy": normalize_policy(spec.get("policy")),
            "other_inline_policies": [],
            "managed_policy_arns": sorted(spec.get("managed_policy_arns", []), key=str),
        }

    def hand_off(self, address: str, live: Live) -> dict[str, Any]:
        return {"roles": {address: live.outputs["arn"]}}

    def read(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live | None:
        iam = ctx.clients.iam
        with ignore_missing() as missing:
            role, inline, attached, policy = ctx.gather(
                lambda: iam.get_role(RoleName=name)["Role"],
                lambda: [
                    p
                    for page in iam.get_paginator("list_role_policies").paginate(RoleName=name)
                    for p in page["PolicyNames"]
                ],
                lambda: [
                    p["PolicyArn"]
                    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name)
                    for p in page["AttachedPolicies"]
                ],
                lambda: self._inline_policy(ctx, name),
            )
        if missing:
            return None
        tags = {t["Key"]: t["Value"] for t in role.get("Tags", [])}
        document = {
            "description": role.get("Description", ""),
            "assume_role_policy": normalize_policy(role["AssumeRolePolicyDocument"]),
            "policy": normalize_policy(policy),
            "other_inline_policies": sorted(p for p in inline if p != INLINE_POLICY),
            "managed_policy_arns": sorted(attached),
        }
        home = tags.get(REGION_TAG)
        elsewhere = home is not None and home != ctx.clients.region
        notes = (
            (f"tagged for stack {tags.get(OWNER_TAG)!r} in region {home} (IAM roles are global)",) if elsewhere else ()
        )
        return Live(
            name=name,
            owned=tags.get(OWNER_TAG) == ctx.stack and not elsewhere,
            document=document,
            outputs={"arn": role["Arn"], "name": name},
            notes=notes,
            tags=tags,
        )

    def discover(self, ctx: Context, parents: dict[str, Live]) -> list[tuple[str, dict[str, Any]]]:
        """Roles under this stack's path, and roles named like it elsewhere (adopted ones): `read` checks the tags."""
        pages = ctx.clients.iam.get_paginator("list_roles").paginate()
        return [
            (role["RoleName"], {})
            for page in pages
            for role in page["Roles"]
            if role["Path"] == self.path(ctx) or role["RoleName"].startswith(f"{ctx.stack}-")
        ]

    def owners(self, ctx: Context) -> list[tuple[str, str]]:
        """Roles under /reconcile/ whose home region is this one (or unrecorded)."""
        iam, found = ctx.clients.iam, []
        for page in iam.get_paginator("list_roles").paginate(PathPrefix="/reconcile/"):
            for role in page["Roles"]:
                tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role["RoleName"])["Tags"]}
                if tags.get(OWNER_TAG) and tags.get(REGION_TAG, ctx.clients.region) == ctx.clients.region:
                    found.append((tags[OWNER_TAG], role["RoleName"]))
        return found

    def create(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live:
        doc = self.desired(name, spec, stack=ctx.stack)
        ctx.clients.iam.create_role(
            RoleName=name,
            Path=self.path(ctx),
            AssumeRolePolicyDocument=json.dumps(doc["assume_role_policy"]),
            Description=doc["description"],
            Tags=self._tags(ctx),
        )
        if doc["policy"] is not None:
            self._put_policy(ctx, name, doc["policy"])
        for arn in doc["managed_policy_arns"]:
            ctx.clients.iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        return self._must_read(ctx, name, spec)

    def update(self, ctx: Context, live: Live, spec: dict[str, Any]) -> Live:
        iam, name, before = ctx.clients.iam, live.name, live.document
        doc = self.desired(name, spec, stack=ctx.stack)
        if doc["description"] != before["description"]:
            iam.update_role(RoleName=name, Description=doc["description"])
        if doc["assume_role_policy"] != before["assume_role_policy"]:
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(doc["assume_role_policy"]))
        if doc["policy"] != before["policy"]:
            if doc["policy"] is None:
                iam.delete_role_policy(RoleName=name, PolicyName=INLINE_POLICY)
            else:
                self._put_policy(ctx, name, doc["policy"])
        for extra in before["other_inline_policies"]:
            iam.delete_role_policy(RoleName=name, PolicyName=extra)
        for arn in set(before["managed_policy_arns"]) - set(doc["managed_policy_arns"]):
            iam.detach_role_policy(RoleName=name, PolicyArn=arn)
        for arn in set(doc["managed_policy_arns"]) - set(before["managed_policy_arns"]):
            iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        iam.tag_role(RoleName=name, Tags=self._tags(ctx))
        return self._must_read(ctx, name, spec)

    def delete(self, ctx: Context, live: Live) -> None:
        iam, name = ctx.clients.iam, live.name
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
        with ignore_missing():
            iam.delete_role(RoleName=name)

    def tag(self, ctx: Context, live: Live, tags: dict[str, str]) -> None:
        ctx.clients.iam.tag_role(RoleName=live.name, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])

    def adopt(self, ctx: Context, live: Live) -> None:
        ctx.clients.iam.tag_role(RoleName=live.name, Tags=self._tags(ctx))

    def _tags(self, ctx: Context) -> list[dict[str, str]]:
        return [{"Key": k, "Value": v} for k, v in {**ctx.owner_tags, REGION_TAG: ctx.clients.region}.items()]

    def _inline_policy(self, ctx: Context, name: str) -> Any:
        with ignore_missing():
            return ctx.clients.iam.get_role_policy(RoleName=name, PolicyName=INLINE_POLICY)["PolicyDocument"]
        return None

    def _put_policy(self, ctx: Context, name: str, policy: dict[str, Any]) -> None:
        ctx.clients.iam.put_role_policy(RoleName=name, PolicyName=INLINE_POLICY, PolicyDocument=json.dumps(policy))

    def _must_read(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live:
        live = self.read(ctx, name, spec)
        if live is None:
            raise RuntimeError(f"IAM role {name} disappeared right after it was written")
        return live
