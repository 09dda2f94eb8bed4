"""Polling with backoff for the asynchronous AgentCore calls (botocore has no waiters for them),
and bounded retries of IAM's eventual consistency right after a role is written."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from reconciler.aws import error_code, error_message, is_not_found
from reconciler.kinds.base import Context, backoff_delays, deadline

T = TypeVar("T")

# UNCONFIRMED wording (AWS_FACTS): the messages AWS gives while a new role is not yet usable.
PROPAGATION = re.compile(r"role|assum|permission|not authorized", re.I)


class ResourceFailed(Exception):
    """AWS reported a terminal failure state for a resource."""


def wait_for_status(
    ctx: Context,
    *,
    label: str,
    describe: Callable[[], dict[str, Any]],
    done: frozenset[str],
    failed: frozenset[str],
) -> dict[str, Any]:
    """Poll `describe()` until its `status` is in `done` (returned) or `failed` (raised)."""
    next_delay, expired, started = backoff_delays(ctx), deadline(ctx.wait_timeout), time.monotonic()
    last, said = None, started
    while True:
        current = describe()
        status, now = current.get("status"), time.monotonic()
        if status != last:
            ctx.progress(f"{label}: {status} [{now - started:.0f}s elapsed]")
            last, said = status, now
        elif now - said >= ctx.heartbeat:
            ctx.progress(f"{label}: still {str(status).lower()}… [{now - started:.0f}s elapsed]")
            said = now
        if status in done:
            return current
        if status in failed:
            reasons = "; ".join(current.get("statusReasons") or []) or current.get("failureReason") or "no reason given"
            raise ResourceFailed(f"{label} reached status {status}: {reasons}")
        if expired():
            raise ResourceFailed(f"{label} still {status} after {ctx.wait_timeout:.0f}s; re-run apply to keep waiting")
        time.sleep(next_delay())


def wait_until_gone(ctx: Context, *, label: str, describe: Callable[[], dict[str, Any]]) -> None:
    """Poll until `describe()` raises ResourceNotFound (deletes are asynchronous)."""

    def still_there() -> dict[str, Any]:
        try:
            return describe()
        except ClientError as exc:
            if is_not_found(exc):
                return {"status": "DELETED"}
            raise

    wait_for_status(
        ctx,
        label=label,
        describe=still_there,
        done=frozenset({"DELETED"}),
        failed=frozenset({"DELETE_UNSUCCESSFUL", "DELETE_FAILED"}),
    )


def retry_iam_propagation(ctx: Context, *, label: str, call: Callable[[], T]) -> T:
    """Retry the validation errors AWS gives while a just-created role is not yet assumable."""
    next_delay, expired = backoff_delays(ctx), deadline(ctx.propagation_timeout)
    while True:
        try:
            return call()
        except ClientError as exc:
            retryable = error_code(exc) in ("ValidationException", "AccessDeniedException") and bool(
                PROPAGATION.search(error_message(exc))
            )
            if not retryable or expired():
                raise
            ctx.progress(f"{label}: waiting for IAM to propagate ({error_message(exc)})")
            time.sleep(next_delay())
