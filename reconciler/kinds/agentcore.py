"""What the AgentCore kinds share: tags by ARN, this stack's names in a listing, idempotency tokens,
and the status values they wait on (each from its botocore enum; tests/kinds/test_statuses.py checks)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from functools import cache
from typing import Any

from reconciler.aws import ignore_missing, service_model
from reconciler.kinds.base import Context
from reconciler.live import OWNER_TAG


def read_tags(ctx: Context, arn: str) -> dict[str, str]:
    return dict(ctx.clients.control.list_tags_for_resource(resourceArn=arn).get("tags", {}))


def tagged_owners(ctx: Context, items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(stack, name) for each (name, ARN) whose tags name a stack."""
    found = [(read_tags(ctx, arn).get(OWNER_TAG), name) for name, arn in items]
    return [(stack, name) for stack, name in found if stack]


def list_stack_names(pages: Any, key: str, stack: str) -> list[str]:
    return [item["name"] for page in pages for item in page[key] if item["name"].startswith(f"{stack}-")]


def read_listed(ctx: Context, describe: Callable[[], dict[str, Any]], *, tries: int = 5) -> dict[str, Any] | None:
    """Get a resource that its List just showed. Right after a create, Get may still say not found
    (eventual consistency; Terraform tolerates it too): retry a few times before believing it."""
    delay = ctx.poll_initial
    for attempt in range(tries):
        with ignore_missing():
            return describe()
        if attempt < tries - 1:
            time.sleep(delay)
            delay = min(delay * 2, ctx.poll_max)
    return None


def client_token() -> str:
    """Fresh per call: botocore reuses it on its own retries; a replace must not get the old resource back."""
    return uuid.uuid4().hex + uuid.uuid4().hex[:8]


# GatewayStatus and TargetStatus (bedrock-agentcore-control): neither has DELETE_FAILED; a failed
# asynchronous operation ends in FAILED or *_UNSUCCESSFUL.
READY = frozenset({"READY"})
GATEWAY_FAILED = frozenset({"FAILED", "UPDATE_UNSUCCESSFUL"})
TARGET_PENDING_AUTH = frozenset({"CREATE_PENDING_AUTH", "UPDATE_PENDING_AUTH", "SYNCHRONIZE_PENDING_AUTH"})
TARGET_FAILED = frozenset({"FAILED", "UPDATE_UNSUCCESSFUL", "SYNCHRONIZE_UNSUCCESSFUL"})
DELETE_FAILED = frozenset({"FAILED"})
# Status (credential providers): CREATING, CREATE_FAILED, UPDATING, UPDATE_FAILED, READY, DELETING, DELETE_FAILED.
PROVIDER_FAILED = frozenset({"CREATE_FAILED", "UPDATE_FAILED"})
PROVIDER_DELETE_FAILED = frozenset({"DELETE_FAILED"})
# AgentRuntimeStatus: CREATING, CREATE_FAILED, UPDATING, UPDATE_FAILED, READY, DELETING, DELETE_FAILED.
RUNTIME_FAILED = frozenset({"CREATE_FAILED", "UPDATE_FAILED"})
RUNTIME_DELETE_FAILED = frozenset({"DELETE_FAILED"})


def pending_auth_refusal(kind: str, name: str, status: str, url: str | None) -> str:
    """AWS refuses to change or delete a target that waits for authorization (DeleteGatewayTarget doc)."""
    where = f"open {url} and approve" if url else "authorize it (the URL is in GetGatewayTarget's authorizationData)"
    return f"{kind} {name} is {status}: AWS refuses to change or delete it until it is authorized; {where}, then re-run"


@cache
def _update_fields(operation: str) -> frozenset[str]:
    return frozenset(service_model("bedrock-agentcore-control").operation_model(operation).input_shape.members)


def unmanaged_settings(found: dict[str, Any], *, update: str, managed: frozenset[str]) -> dict[str, Any]:
    """The fields of a Get response that `update` (UpdateGateway, UpdateGatewayTarget) takes and the
    stack does not manage. UpdateGateway's documentation: any optional field omitted is reset; so
    these are carried over, and a new botocore field is carried too without a code change."""
    fields = _update_fields(update) - managed
    return {k: v for k, v in found.items() if k in fields and v not in (None, "", [], {})}


def carried_note(unmanaged: dict[str, Any]) -> tuple[str, ...]:
    if not unmanaged:
        return ()
    return (f"keeps {', '.join(sorted(unmanaged))} as set outside the stack (sent back unchanged on update)",)
