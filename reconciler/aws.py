"""The only place that builds boto3 clients. Everything honours boto3's own configuration
(AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ...); `--profile/--region` override it."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

CONTROL_SERVICE = "bedrock-agentcore-control"
RETRIES = Config(
    retries={"mode": "standard", "max_attempts": 8}, connect_timeout=10, read_timeout=60, max_pool_connections=64
)
"""Reads run in parallel (reconciler.reading): a pool as large as the calls in flight, not botocore's 10."""
READ_PREFIXES = ("Get", "List", "Describe", "Head")


@dataclass
class CallCounter:
    """Counts API calls per operation through botocore's event system (for bench/ and tests)."""

    calls: Counter[str] = field(default_factory=Counter)

    def __call__(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}:{model.name}"] += 1

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if not op.split(":")[1].startswith(READ_PREFIXES))

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@dataclass
class Clients:
    iam: Any
    control: Any
    region: str
    ssm: Any = None
    """For the stack lock only (reconciler.locking)."""
    s3: Any = None
    dynamodb: Any = None
    """For the Runtime deployment's kinds (artifact bucket and code, session table)."""

    def count_calls(self, counter: CallCounter) -> None:
        self.on("before-call.*.*", counter)

    def on(self, event: str, handler: Callable[..., Any]) -> None:
        """Register a botocore event handler on every client the kinds use."""
        for client in (self.iam, self.control, self.s3, self.dynamodb):
            if client is not None:
                client.meta.events.register(event, handler)


def make_clients(*, profile: str | None = None, region: str | None = None) -> Clients:
    # boto3 itself reads AWS_DEFAULT_REGION (and the profile's region) but not AWS_REGION.
    session = boto3.Session(profile_name=profile, region_name=region or os.environ.get("AWS_REGION") or None)
    if not session.region_name:
        raise RuntimeError("no AWS region configured: pass --region, set AWS_REGION, or set `region:` in stack.yaml")
    return Clients(
        iam=session.client("iam", config=RETRIES),
        control=session.client(CONTROL_SERVICE, config=RETRIES),
        region=session.region_name,
        ssm=session.client("ssm", config=RETRIES),
        s3=session.client("s3", config=RETRIES),
        dynamodb=session.client("dynamodb", config=RETRIES),
    )


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", "")) or str(exc)


def is_not_found(exc: ClientError) -> bool:
    return error_code(exc) in ("ResourceNotFoundException", "NoSuchEntity", "NoSuchEntityException")
