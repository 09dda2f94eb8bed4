"""IAM roles (gateway execution role, runtime role) with one inline policy managed by us."""

from __future__ import annotations

import json
from typing import Any, Literal

from botocore.exceptions import ClientError

from reconciler.aws import is_not_found
from reconciler.kinds.base import OWNER_TAG, Context, Kind, Live, ResourceSpec

INLINE_POLICY = "reconcile"


class IamRoleSpec(ResourceSpec):
    kind: Literal["iam_role"]
    description: str = ""
    assume_role_policy: dict[str, Any]
    policy: dict[str, Any] | None = None


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
            out[key] = sorted([value] if isinstance(value, str) else value, key=str)
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
        }

    def hand_off(self, address: str, live: Live) -> dict[str, Any]:
        return {"roles": {address: live.outputs["arn"]}}

    def read(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live | None:
        iam = ctx.clients.iam
        try:
            role = iam.get_role(RoleName=name)["Role"]
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise
        tags = {t["Key"]: t["Value"] for t in role.get("Tags", [])}
        try:
            policy = iam.get_role_policy(RoleName=name, PolicyName=INLINE_POLICY)["PolicyDocument"]
        except ClientError as exc:
            if not is_not_found(exc):
                raise
            policy = None
        document = {
            "description": role.get("Description", ""),
            "assume_role_policy": normalize_policy(role["AssumeRolePolicyDocument"]),
            "policy": normalize_policy(policy),
        }
        return Live(
            name=name,
            owned=tags.get(OWNER_TAG) == ctx.stack,
            document=document,
            outputs={"arn": role["Arn"], "name": name},
        )

    def discover(self, ctx: Context, parents: dict[str, Live]) -> list[tuple[str, dict[str, Any]]]:
        pages = ctx.clients.iam.get_paginator("list_roles").paginate(PathPrefix=self.path(ctx))
        return [(role["RoleName"], {}) for page in pages for role in page["Roles"]]

    def create(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live:
        doc = self.desired(name, spec, stack=ctx.stack)
        ctx.clients.iam.create_role(
            RoleName=name,
            Path=self.path(ctx),
            AssumeRolePolicyDocument=json.dumps(doc["assume_role_policy"]),
            Description=doc["description"],
            Tags=[{"Key": k, "Value": v} for k, v in ctx.owner_tags.items()],
        )
        if doc["policy"] is not None:
            self._put_policy(ctx, name, doc["policy"])
        return self._must_read(ctx, name, spec)

    def update(self, ctx: Context, live: Live, spec: dict[str, Any]) -> Live:
        iam, name = ctx.clients.iam, live.name
        doc = self.desired(name, spec, stack=ctx.stack)
        if doc["description"] != live.document["description"]:
            iam.update_role(RoleName=name, Description=doc["description"])
        if doc["assume_role_policy"] != live.document["assume_role_policy"]:
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(doc["assume_role_policy"]))
        if doc["policy"] != live.document["policy"]:
            if doc["policy"] is None:
                iam.delete_role_policy(RoleName=name, PolicyName=INLINE_POLICY)
            else:
                self._put_policy(ctx, name, doc["policy"])
        return self._must_read(ctx, name, spec)

    def delete(self, ctx: Context, live: Live) -> None:
        iam, name = ctx.clients.iam, live.name
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
        try:
            iam.delete_role(RoleName=name)
        except ClientError as exc:
            if not is_not_found(exc):
                raise

    def adopt(self, ctx: Context, live: Live) -> None:
        ctx.clients.iam.tag_role(RoleName=live.name, Tags=[{"Key": k, "Value": v} for k, v in ctx.owner_tags.items()])

    def _put_policy(self, ctx: Context, name: str, policy: dict[str, Any]) -> None:
        ctx.clients.iam.put_role_policy(RoleName=name, PolicyName=INLINE_POLICY, PolicyDocument=json.dumps(policy))

    def _must_read(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live:
        live = self.read(ctx, name, spec)
        if live is None:
            raise RuntimeError(f"IAM role {name} disappeared right after it was written")
        return live
