"""Lookups several AgentCore kinds share: tags by ARN, and this stack's names in a listing."""

from __future__ import annotations

from typing import Any

from reconciler.kinds.base import Context


def read_tags(ctx: Context, arn: str) -> dict[str, str]:
    return dict(ctx.clients.control.list_tags_for_resource(resourceArn=arn).get("tags", {}))


def list_stack_names(pages: Any, key: str, stack: str) -> list[str]:
    return [item["name"] for page in pages for item in page[key] if item["name"].startswith(f"{stack}-")]
