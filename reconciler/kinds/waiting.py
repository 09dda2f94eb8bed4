"""Polling with backoff for the asynchronous AgentCore calls (botocore has no waiters for them),
and bounded retries of IAM's eventual consistency right after a role is written."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from reconciler import aws
from reconciler.aws import error_code, error_message, ignore_missing, is_not_found
from reconciler.kinds.base import Context, backoff_delays, deadline

T = TypeVar("T")

# UNCONFIRMED wording (AWS_FACTS): the messages AWS gives while a new role is not yet usable.
PROPAGATION = re.compile(r"role|assum|permission|not authorized", re.I)


class ResourceFailed(Exception):
    """AWS reported a terminal failure state for a resource."""


class ResourceKept(Exception):
    """Raised by a kind's `delete` that deliberately leaves the resource in place (the message says why):
    the apply reports it as kept, not failed, and what waits for it goes on."""


def wait_for_status(
    ctx: Context,
    *,
    label: str,
    describe: Callable[[], dict[str, Any]],
    done: frozenset[str],
    failed: frozenset[str],
    after: Literal["create", "update"] | None = None,
) -> dict[str, Any]:
    """Poll `describe()` until its `status` is in `done` (returned) or in `failed` (raised), as
    Terraform's waiters do. AWS is eventually consistent: a Get right after an update may still show
    the old READY, so `after="update"` needs UPDATE_SETTLE consecutive READY reads; one right after a
    create may find nothing yet, so `after="create"` tolerates NOT_FOUND_AFTER_CREATE not-found reads."""
    settle = UPDATE_SETTLE if after == "update" else 1
    not_found_reads = NOT_FOUND_AFTER_CREATE if after == "create" else 0
    next_delay, expired, started = backoff_delays(ctx), deadline(ctx.wait_timeout), time.monotonic()
    last, said, in_a_row, missing = None, started, 0, 0
    while True:
        try:
            current = describe()
        except aws.ClientError as exc:
            if not is_not_found(exc) or missing >= not_found_reads:
                raise
            missing += 1
            current = {"status": "NOT_FOUND_YET"}
        status, now = current.get("status"), time.monotonic()
        if status != last:
            ctx.progress(f"{label}: {status} [{now - started:.0f}s elapsed]")
            last, said = status, now
        elif now - said >= ctx.heartbeat:
            ctx.progress(f"{label}: still {str(status).lower()}… [{now - started:.0f}s elapsed]")
            said = now
        in_a_row = in_a_row + 1 if status in done else 0
        if in_a_row >= settle:
            return current
        if status in failed:
            reasons = "; ".join(current.get("statusReasons") or []) or current.get("failureReason") or "no reason given"
            raise ResourceFailed(f"{label} reached status {status}: {reasons}")
        if expired():
            raise ResourceFailed(f"{label} still {status} after {ctx.wait_timeout:.0f}s; re-run apply to keep waiting")
        time.sleep(next_delay() if in_a_row == 0 else ctx.poll_initial)


def wait_until_gone(
    ctx: Context, *, label: str, describe: Callable[[], dict[str, Any]], failed: frozenset[str]
) -> None:
    """Poll until `describe()` raises ResourceNotFound (deletes are asynchronous); `failed` holds the
    kind's own failure statuses from its botocore enum (a gateway has no DELETE_FAILED)."""

    def still_there() -> dict[str, Any]:
        with ignore_missing():
            return describe()
        return {"status": GONE}

    wait_for_status(ctx, label=label, describe=still_there, done=frozenset({GONE}), failed=failed)


GONE = "DELETED"
NOT_FOUND_AFTER_CREATE = 20
"""Not-found reads tolerated right after a create (Terraform's waiters use NotFoundChecks: 20)."""
UPDATE_SETTLE = 2
"""Consecutive READY reads required after an update (the first may be the READY from before it)."""


def retry_iam_propagation(ctx: Context, *, label: str, call: Callable[[], T]) -> T:
    """Retry the validation errors AWS gives while a just-created role is not yet assumable."""
    next_delay, expired = backoff_delays(ctx), deadline(ctx.propagation_timeout)
    while True:
        try:
            return call()
        except aws.ClientError as exc:
            retryable = error_code(exc) in ("ValidationException", "AccessDeniedException") and bool(
                PROPAGATION.search(error_message(exc))
            )
            if not retryable or expired():
                raise
            ctx.progress(f"{label}: waiting for IAM to propagate ({error_message(exc)})")
            time.sleep(next_delay())
