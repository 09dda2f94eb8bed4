"""A secret the stack generates and keeps in SSM Parameter Store as a SecureString (issue 22): the hosted callback's
cookie/CSRF secret (OAUTH_CALLBACK_SECRET), read by callback/lambda_handler.py at cold start.

Its value never leaves `create`/`update`: it is generated there (48 random bytes, URL-safe base64: well over the
callback's 32-byte minimum), written with PutParameter and forgotten, and remembered by reconciler.secrets only
so that an error message that happened to carry it is redacted. Nothing reads it back: `read` uses
DescribeParameters and the tags, never GetParameter, so plans, saved plans and config.json can show only that it
exists, its type and its rotation label. The deployer needs no ssm:GetParameter on it, nor kms:Decrypt.

Rotation is an update: change `rotation:` (any label) and apply writes a new value (a new parameter version,
which warm callbacks notice within their recheck interval). The version apply wrote is kept in a tag, so a
value written by anyone else shows as drift (`written_by: someone else`), and apply replaces it with a new one.
Changing the type of an existing parameter is refused by AWS (HierarchyTypeMismatchException, PutParameter API
reference), so a String parameter of the same name is replaced.
"""

from __future__ import annotations

import secrets
from typing import Any, Literal

from pydantic import field_validator

from reconciler.kinds import ssm_parameters as ssm
from reconciler.kinds.base import Context, Kind, ResourceSpec
from reconciler.kinds.waiting import ResourceFailed
from reconciler.live import OWNER_TAG, Live
from reconciler.secrets import remember_secret

ROTATION_TAG = "reconcile:rotation"
VERSION_TAG = "reconcile:written-version"
SECRET_BYTES = 48
RECONCILE = "reconcile"
OTHERS = "someone else"


class SecretParameterSpec(ResourceSpec):
    kind: Literal["secret_parameter"]
    rotation: str = "1"
    """A label: a new one plans an update that writes a new random value."""

    @field_validator("rotation", mode="before")
    @classmethod
    def _label(cls, value: Any) -> str:
        return str(value)


class SecretParameter(Kind):
    kind = "secret_parameter"
    spec_model = SecretParameterSpec
    discovery_group = "callback"
    attributes = frozenset({"name", "arn"})
    force_new = frozenset({("type",)})
    name_pattern = ssm.NAME_PATTERN
    name_hint = ssm.NAME_HINT

    def default_name(self, stack: str, logical: str) -> str:
        return ssm.default_name(stack, logical)

    def desired(self, name: str, spec: dict[str, Any], *, stack: str, current: Live | None = None) -> dict[str, Any]:
        return {"type": "SecureString", "rotation": str(spec.get("rotation", "1")), "written_by": RECONCILE}

    def read(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live | None:
        found, tags = ctx.gather(lambda: ssm.described(ctx, name), lambda: ssm.tags_if_any(ctx, name))
        if found is None:
            return None
        ours = tags.get(VERSION_TAG) == str(found["Version"])
        return Live(
            name=name,
            owned=tags.get(OWNER_TAG) == ctx.stack,
            document={
                "type": found["Type"],
                "rotation": tags.get(ROTATION_TAG),
                "written_by": RECONCILE if ours else OTHERS,
            },
            outputs={"id": name, "name": name, "arn": found["ARN"]},
            tags=tags,
        )

    def discover(self, ctx: Context, parents: dict[str, Live]) -> list[tuple[str, dict[str, Any]]]:
        return [(name, {}) for name in ssm.under_stack(ctx, "SecureString")]

    def owners(self, ctx: Context) -> list[tuple[str, str]]:
        return ssm.owners(ctx, "SecureString")

    def create(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live:
        doc = self.desired(name, spec, stack=ctx.stack)
        version = self._write(ctx, name, Tags=[{"Key": k, "Value": v} for k, v in ctx.owner_tags.items()])
        ssm.add_tags(ctx, name, {ROTATION_TAG: doc["rotation"], VERSION_TAG: str(version)})
        return self._read_back(ctx, name)

    def update(self, ctx: Context, live: Live, spec: dict[str, Any]) -> Live:
        doc = self.desired(live.name, spec, stack=ctx.stack)
        version = self._write(ctx, live.name, Overwrite=True)
        ssm.add_tags(ctx, live.name, {ROTATION_TAG: doc["rotation"], VERSION_TAG: str(version)})
        return self._read_back(ctx, live.name)

    def delete(self, ctx: Context, live: Live) -> None:
        ssm.delete(ctx, live.name)

    def tag(self, ctx: Context, live: Live, tags: dict[str, str]) -> None:
        ssm.add_tags(ctx, live.name, tags)

    def _write(self, ctx: Context, name: str, **options: Any) -> int:
        """A new random value; returns the parameter's version. The value lives only in this call."""
        value = secrets.token_urlsafe(SECRET_BYTES)
        remember_secret(value)
        answer = ctx.clients.ssm.put_parameter(
            Name=name,
            Value=value,
            Type="SecureString",
            Tier="Standard",
            Description=f"generated by reconcile apply (stack {ctx.stack}); rotate with `rotation:`",
            **options,
        )
        return int(answer["Version"])

    def _read_back(self, ctx: Context, name: str) -> Live:
        found = self.read(ctx, name, {})
        if found is None:
            raise ResourceFailed(f"parameter {name} was written but cannot be read back; re-run apply")
        return found
