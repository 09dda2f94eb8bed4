"""What the two SSM Parameter Store kinds share (reconciler/kinds/config_parameter.py, secret_parameter.py): names,
ownership by tags, discovery under the stack's own path, deletion. Not a kind.

Names are fully qualified (`/<stack>/<name>`): "for parameters in a hierarchy, you must include a leading forward
slash", at most fifteen levels, letters, digits and `_.-` between the slashes, never starting with `aws` or `ssm`
(PutParameter API reference, Name). The stack lock lives under `/reconcile/`, so discovery under `/<stack>/`
never meets it.
"""

from __future__ import annotations

from typing import Any

from reconciler.aws import error_code, ignore_missing
from reconciler.kinds.base import Context
from reconciler.live import OWNER_TAG

NAME_PATTERN = r"(?!/(?i:aws|ssm))(/[a-zA-Z0-9_.-]+){1,15}"
NAME_HINT = "a path: '/' then up to 15 parts of letters, digits or _.- (not starting /aws or /ssm)"
RESOURCE_TYPE = "Parameter"


def default_name(stack: str, logical: str) -> str:
    return f"/{stack}/{logical.replace('_', '-')}"


def not_found(exc: Any) -> bool:
    return error_code(exc) in ("ParameterNotFound", "InvalidResourceId")


def tags_of(ctx: Context, name: str) -> dict[str, str]:
    found = ctx.clients.ssm.list_tags_for_resource(ResourceType=RESOURCE_TYPE, ResourceId=name)["TagList"]
    return {tag["Key"]: tag["Value"] for tag in found}


def tags_if_any(ctx: Context, name: str) -> dict[str, str]:
    """The tags, or none for a parameter that does not exist (ListTagsForResource: InvalidResourceId)."""
    with ignore_missing(not_found):
        return tags_of(ctx, name)
    return {}


def add_tags(ctx: Context, name: str, tags: dict[str, str]) -> None:
    ctx.clients.ssm.add_tags_to_resource(
        ResourceType=RESOURCE_TYPE, ResourceId=name, Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
    )


def described(ctx: Context, name: str) -> dict[str, Any] | None:
    """DescribeParameters' entry for `name` (type, tier, version; never the value), None when there is none."""
    filters = [{"Key": "Name", "Option": "Equals", "Values": [name]}]
    found = ctx.clients.ssm.describe_parameters(ParameterFilters=filters)["Parameters"]
    return next((dict(p) for p in found if p["Name"] == name), None)


def under_stack(ctx: Context, kind_type: str) -> list[str]:
    """Names of `kind_type` (String, SecureString) parameters under `/<stack>/`: candidates for removed resources.
    One listing per read pass, shared by both kinds."""

    def fetch() -> list[dict[str, Any]]:
        filters = [{"Key": "Name", "Option": "BeginsWith", "Values": [f"/{ctx.stack}/"]}]
        pages = ctx.clients.ssm.get_paginator("describe_parameters").paginate(ParameterFilters=filters)
        return [p for page in pages for p in page["Parameters"]]

    found: list[dict[str, Any]] = ctx.memo(("describe_parameters", ctx.stack), fetch)
    return [p["Name"] for p in found if p["Type"] == kind_type]


def owners(ctx: Context, kind_type: str) -> list[tuple[str, str]]:
    """(stack, name) of every `kind_type` parameter in the region with an ownership tag (`reconcile stacks`). A tag
    filter would need the tag's value (DescribeParameters' `tag:<key>` filters compare values), which is the stack
    being looked for, so each parameter's tags are read: one call per parameter of the type."""
    filters = [{"Key": "Type", "Values": [kind_type]}]
    pages = ctx.clients.ssm.get_paginator("describe_parameters").paginate(ParameterFilters=filters)
    names = [p["Name"] for page in pages for p in page["Parameters"]]
    found = [(tags_if_any(ctx, name).get(OWNER_TAG), name) for name in names]
    return [(stack, name) for stack, name in found if stack]


def delete(ctx: Context, name: str) -> None:
    with ignore_missing(not_found):
        ctx.clients.ssm.delete_parameter(Name=name)
