"""The only place that builds AWS clients. Everything honours botocore's own configuration
(AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ...); `--profile/--region` override it.

Two costs are paid once per process, not once per command: importing botocore (only when a client is
first made or an AWS error first handled, so `reconcile --help` and `validate` load no AWS SDK), and
parsing botocore's JSON service models (one loader per data path, shared by every session). Credentials,
region and endpoint are read again on every `make_clients`: each call is a new botocore session.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.config import Config
    from botocore.exceptions import ClientError as ClientError
    from botocore.loaders import Loader
    from botocore.model import ServiceModel
    from botocore.session import Session

CONTROL_SERVICE = "bedrock-agentcore-control"
RETRY_SETTINGS: dict[str, Any] = {
    "retries": {"mode": "standard", "max_attempts": 8},
    "connect_timeout": 10,
    "read_timeout": 60,
    "max_pool_connections": 64,
}
"""Reads run in parallel (reconciler.reading): a pool as large as the calls in flight, not botocore's 10.
`RETRIES` is the botocore Config made of it (built on first use; tests may set their own)."""
READ_PREFIXES = ("Get", "List", "Describe", "Head")
NOT_FOUND = ("ResourceNotFoundException", "NoSuchEntity", "NoSuchEntityException")

_loaders: dict[str | None, Loader] = {}
_loaders_lock = threading.Lock()


if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        """`aws.ClientError` and `aws.RETRIES` import botocore on first use (PEP 562): an `except
        aws.ClientError` clause is evaluated only when an exception reaches it."""
        if name == "ClientError":
            from botocore.exceptions import ClientError

            return ClientError
        if name == "RETRIES":
            return _retries()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _retries() -> Config:
    found = globals().get("RETRIES")
    if found is None:
        from botocore.config import Config

        found = globals()["RETRIES"] = Config(**RETRY_SETTINGS)
    return found


@dataclass
class CallCounter:
    """Counts API calls per operation through botocore's event system (for bench/ and tests). Reads run in
    parallel threads, so counting and summing hold a lock (a sum while another thread counted a new operation
    raised "dictionary changed size during iteration")."""

    calls: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __call__(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[f"{model.service_model.service_name}:{model.name}"] += 1

    @property
    def writes(self) -> int:
        with self._lock:
            return sum(n for op, n in self.calls.items() if not op.split(":")[1].startswith(READ_PREFIXES))

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.calls.values())


@dataclass
class Clients:
    iam: Any
    control: Any
    region: str
    ssm: Any = None
    """For the stack lock (reconciler.locking) and the hosted callback's parameters (config_parameter,
    secret_parameter)."""
    s3: Any = None
    dynamodb: Any = None
    """For the Runtime deployment's kinds (artifact bucket and code, session table)."""
    lambda_: Any = None
    """For the hosted callback's kinds (lambda_function, function_url)."""

    def count_calls(self, counter: CallCounter) -> None:
        self.on("before-call.*.*", counter)

    def on(self, event: str, handler: Callable[..., Any]) -> None:
        """Register a botocore event handler on every client the kinds use."""
        for client in (self.iam, self.control, self.s3, self.dynamodb, self.lambda_, self.ssm):
            if client is not None:
                client.meta.events.register(event, handler)


def botocore_session(profile: str | None = None) -> Session:
    """A new botocore session (so credentials, region and endpoint are read from the environment as it
    is now) on the process's loader for its data path (so service models are parsed once)."""
    import botocore.session

    session = botocore.session.Session(profile=profile)
    data_path = session.get_config_variable("data_path")
    with _loaders_lock:
        loader = _loaders.setdefault(data_path, session.get_component("data_loader"))
    session.register_component("data_loader", loader)
    return session


def service_model(service: str) -> ServiceModel:
    """botocore's model of `service` (operations, shapes, enums), parsed once per process."""
    return botocore_session().get_service_model(service)


def make_clients(*, profile: str | None = None, region: str | None = None) -> Clients:
    session = botocore_session(profile)
    # botocore itself reads AWS_DEFAULT_REGION (and the profile's region) but not AWS_REGION.
    chosen = region or os.environ.get("AWS_REGION") or session.get_config_variable("region")
    if not chosen:
        raise RuntimeError("no AWS region configured: pass --region, set AWS_REGION, or set `region:` in stack.yaml")
    config = _retries()

    def client(service: str) -> Any:
        return session.create_client(service, region_name=chosen, config=config)

    return Clients(
        iam=client("iam"),
        control=client(CONTROL_SERVICE),
        region=chosen,
        ssm=client("ssm"),
        s3=client("s3"),
        dynamodb=client("dynamodb"),
        lambda_=client("lambda"),
    )


def make_client(service: str, *, profile: str | None, region: str) -> Any:
    """One client beside `Clients`, with the same configuration (reconciler.preflight's STS client: no other
    command asks who the caller is, so `make_clients` does not build it for them)."""
    return botocore_session(profile).create_client(service, region_name=region, config=_retries())


def explain(exc: BaseException, *, unreachable: Callable[[str], str]) -> str | None:
    """One line for people about a botocore error (`unreachable(endpoint)` words a connection failure), or
    None for any other exception. Only a command that loaded botocore can raise one, so for one that did not
    (validate) this imports nothing."""
    if "botocore.exceptions" not in sys.modules:
        return None
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
    )

    if isinstance(exc, NoCredentialsError):
        return "no AWS credentials found: set AWS_PROFILE (or pass --profile), or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
    if isinstance(exc, NoRegionError):
        return "no AWS region: pass --region, set AWS_REGION, or set `region:` in the stack file"
    if isinstance(exc, ClientError):
        return f"{exc.operation_name} failed with {error_code(exc)}: {error_message(exc)}"
    if isinstance(exc, EndpointConnectionError):
        return unreachable(str(exc.kwargs.get("endpoint_url", "")))
    return str(exc) if isinstance(exc, BotoCoreError) else None


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", "")) or str(exc)


def is_not_found(exc: ClientError) -> bool:
    return error_code(exc) in NOT_FOUND


class Missing:
    """What `ignore_missing` saw: true once AWS said the resource does not exist."""

    def __init__(self) -> None:
        self.seen = False

    def __bool__(self) -> bool:
        return self.seen


@contextmanager
def ignore_missing(is_missing: Callable[[ClientError], bool] = is_not_found) -> Iterator[Missing]:
    """AWS's "it does not exist" answer, swallowed; any other error goes on:

        with ignore_missing() as missing:
            found = control.get_gateway(gatewayIdentifier=gateway_id)
        if missing:
            return None

    `is_missing` tells such an answer (the S3 kinds pass theirs: reconciler.kinds.s3_common.s3_missing)."""
    missing = Missing()
    try:
        yield missing
    except Exception as exc:
        from botocore.exceptions import ClientError

        if not isinstance(exc, ClientError) or not is_missing(exc):
            raise
        missing.seen = True
