"""The one interface every resource kind implements. The planner and the applier only speak to
this; adding a kind means a module in this package and a line in `kinds/__init__.py`.

Only kinds call AWS. A kind translates between the user-facing spec shape (what stack.yaml says)
and the AWS API, so that a plan's diff uses the same keys the user wrote. Its two halves:
- pure (no client, no context): `desired`, `name_scope`, `load_files`, `build`, `hand_off`, `notices`, and
  each kind's own spec <-> AWS document translations;
- I/O (take a `Context`): `read`, `discover`, `create`, `update`, `delete`, `adopt`.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict

from reconciler.diagnostics import Diagnostic
from reconciler.live import APPLIED_TAG, OWNER_TAG, Live
from reconciler.settings import EngineSettings

if TYPE_CHECKING:
    from reconciler.aws import Clients
    from reconciler.kinds import Kinds

HAND_OFF = "hand_off"
"""The attribute of every kind with a part of config.json: that part (`Kind.hand_off`). A program the
stack deploys itself (mcp-server on AgentCore Runtime) is given its configuration from these."""


def split_list(value: Any) -> Any:
    """A list field given as one string (`${env:OIDC_CLIENT_IDS:-}`) is comma-separated; "" is an empty list."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


StrList = Annotated[list[str], BeforeValidator(split_list)]
"""A list of strings that may also be written as one comma-separated string."""


class ResourceSpec(BaseModel):
    """Fields every resource has in stack.yaml."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    depends_on: list[str] = []


_CALLS = ThreadPoolExecutor(max_workers=48, thread_name_prefix="read-call")
"""For `Context.gather`; separate from the pool that reads resources, so nesting cannot deadlock."""


@dataclass
class Context:
    clients: Clients
    stack: str
    progress: Callable[[str], None] = lambda _msg: None
    poll_initial: float = EngineSettings.poll_initial
    poll_max: float = EngineSettings.poll_max
    wait_timeout: float = EngineSettings.wait_timeout
    propagation_timeout: float = EngineSettings.propagation_timeout
    heartbeat: float = EngineSettings.heartbeat
    lock_poll: float = EngineSettings.lock_poll
    """The waits (reconciler.settings says what each is); `Context.configured` takes them from one value."""
    kinds: Kinds = field(default_factory=dict)
    """The registry (reconciler.kinds) the engine loaded the stack with; empty in a Context made by hand, for
    which apply uses every kind (`registry`)."""

    _memo: dict[tuple[str, ...], Future[Any]] = field(default_factory=dict)
    _memo_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def configured(
        cls,
        *,
        clients: Clients,
        stack: str,
        progress: Callable[[str], None],
        settings: EngineSettings,
        kinds: Kinds | None = None,
    ) -> Context:
        return cls(clients=clients, stack=stack, progress=progress, kinds=kinds or {}, **asdict(settings))

    def memo(self, key: tuple[str, ...], fetch: Callable[[], Any]) -> Any:
        """Share one listing between the lookups of a single read pass (see `fresh_reads`); reads run
        in parallel, so the first caller fetches and the others wait for its answer."""
        with self._memo_lock:
            future, mine = self._memo.get(key), key not in self._memo
            if future is None:
                future = self._memo[key] = Future()
        if mine:
            try:
                future.set_result(fetch())
            except BaseException as exc:
                future.set_exception(exc)
        return future.result()

    def fresh_reads(self) -> None:
        with self._memo_lock:
            self._memo.clear()

    def gather(self, *calls: Callable[[], Any]) -> list[Any]:
        """Independent AWS calls of one read at once (one round trip instead of several)."""
        futures = [_CALLS.submit(call) for call in calls]
        return [future.result() for future in futures]

    @property
    def owner_tags(self) -> dict[str, str]:
        return {OWNER_TAG: self.stack}


@dataclass(frozen=True)
class StackProblem:
    """A rule across resources broken (`Kind.check_stack`): where under the resource, and what to do."""

    summary: str
    at: tuple[str | int, ...]
    detail: str


class Kind(ABC):
    kind: ClassVar[str]
    spec_model: ClassVar[type[ResourceSpec]]
    attributes: ClassVar[frozenset[str]]
    force_new: ClassVar[frozenset[tuple[str, ...]]] = frozenset()
    """Field paths AWS cannot change in place: a change at or under one plans a replace."""
    sensitive: ClassVar[frozenset[str]] = frozenset()
    name_pattern: ClassVar[str]
    name_hint: ClassVar[str]
    owner_field: ClassVar[str | None] = None
    """A spec field holding the id of the resource this one is owned through (targets: gateway)."""
    owner_kind: ClassVar[str | None] = None
    hand_off_field: ClassVar[str | None] = None
    """The spec field that takes `${resource.hand_off}` references (a list), if any: the only place they may be."""
    statuses: ClassVar[Mapping[tuple[str, str], frozenset[str]]] = {}
    """The status values this kind waits for, stops at or compares with, by the botocore enum they come from:
    (service, enum shape) -> values. tests/kinds/test_contract.py checks them against botocore's model, and that
    the kind's module waits on or compares with no other."""
    discovery_group: ClassVar[str | None] = None
    """None: removed resources of this kind are looked for in every plan. A group name: only in stacks that
    declare some kind of that group. The Runtime deployment's kinds form the group "runtime" until stack.yaml
    ships them: their listings (s3:ListAllMyBuckets, dynamodb:ListTables, ListAgentRuntimes) would cost every
    plan calls and permissions its users were never asked for. A stack that drops every kind of the group
    at once leaves them behind: `reconcile destroy` with the old file removes them."""

    # The pure half.

    def default_name(self, stack: str, logical: str) -> str:
        return f"{stack}-{logical.replace('_', '-')}"

    def name_scope(self, spec: dict[str, Any]) -> str | None:
        """Names are unique per account and region, or (kinds owned through another) per owner."""
        return str(spec[self.owner_field]) if self.owner_field else None

    @abstractmethod
    def desired(self, name: str, spec: dict[str, Any], *, stack: str, current: Live | None = None) -> dict[str, Any]:
        """The normalized document to compare with `current.document` (the live resource, when there is one)."""

    def check_stack(self, spec: dict[str, Any], others: dict[str, tuple[str, dict[str, Any]]]) -> list[StackProblem]:
        """Rules across resources, checked at validation once each resource is valid: `others` maps every
        resource's logical name to its kind and validated spec (references unresolved)."""
        return []

    def load_files(self, spec: ResourceSpec, base_dir: Path) -> tuple[dict[str, Any], list[Diagnostic]]:
        """Files the spec points at, loaded and checked at validation time (before any AWS call)."""
        return {}, []

    def build(self, spec: ResourceSpec, base_dir: Path) -> tuple[dict[str, Any], list[Diagnostic]]:
        """What only plan and apply need from the files, built after `load_files` found no problem (the packaged
        server's zip): `load_stack(build=True)` runs it; validate, destroy and the commands that only read AWS
        do not, and the spec then holds what `load_files` put in its place."""
        return {}, []

    def spec_files(self, spec: dict[str, Any], base_dir: Path) -> list[Path]:
        """The files `load_files` and `build` read, for a resource's spec as loaded (a saved plan is stale when one
        of them changes)."""
        return []

    def hand_off(self, address: str, live: Live) -> dict[str, Any]:
        """This resource's part of config.json (`handoff.config.HandOff` keys; lists and maps merge)."""
        return {}

    @property
    def referable(self) -> frozenset[str]:
        """What `${resource.attribute}` may name: the attributes, and `hand_off` where there is a part."""
        return self.attributes | ({HAND_OFF} if type(self).hand_off is not Kind.hand_off else frozenset())

    def output(self, address: str, live: Live, attribute: str) -> Any:
        """The value `${address.attribute}` stands for; KeyError when the resource has no such output."""
        return self.hand_off(address, live) if attribute == HAND_OFF else live.outputs[attribute]

    def notices(self, before: Live | None, after: Live) -> tuple[str, ...]:
        """What the user must act on after apply (printed loudly), e.g. a URL to register elsewhere."""
        return ()

    # The I/O half.

    def owner_name(self, ctx: Context, child: Live) -> str | None:
        """The name of the `owner_kind` resource `child` is owned through, from its outputs or AWS (None: gone);
        read before deleting a child whose owner is not in the plan (a --target of the child alone)."""
        raise NotImplementedError(f"{self.kind} has an owner_kind but no owner_name")

    @abstractmethod
    def read(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live | None: ...

    def lookup(self, ctx: Context, name: str, spec: dict[str, Any]) -> dict[str, Any] | None:
        """The outputs that finding this resource already gives (a gateway's id, from ListGateways), before
        `read` has the rest; None when it does not exist. Resources read through this one (its targets) start
        as soon as these are known. Kinds without a cheaper lookup than `read` keep this default."""
        raise NotImplementedError

    def discover(self, ctx: Context, parents: dict[str, Live]) -> list[tuple[str, dict[str, Any]]]:
        """Resources of this kind that may belong to the stack (to find removed ones), as
        (name, spec enough to `read` it). `parents` maps id -> live resource of `owner_kind`."""
        return []

    @abstractmethod
    def create(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live: ...

    @abstractmethod
    def update(self, ctx: Context, live: Live, spec: dict[str, Any]) -> Live: ...

    @abstractmethod
    def delete(self, ctx: Context, live: Live) -> None: ...

    def owners(self, ctx: Context) -> list[tuple[str, str]]:
        """(stack, name) of every resource of this kind in the region that carries an ownership tag,
        whatever the stack (`reconcile stacks`). Kinds owned through another resource list none."""
        return []

    def tag(self, ctx: Context, live: Live, tags: dict[str, str]) -> None:
        """Add tags to a resource (ownership on adopt, the applied fingerprint after each change)."""
        raise NotImplementedError(f"{self.kind} resources cannot be tagged")

    def adopt(self, ctx: Context, live: Live) -> None:
        """Put the ownership tag on an existing resource."""
        self.tag(ctx, live, ctx.owner_tags)

    def applied_key(self, name: str) -> str:
        """The tag holding this resource's applied fingerprint (on itself; a target's is on its gateway)."""
        return APPLIED_TAG

    def applied_fingerprint(self, live: Live, parent: Live | None) -> str | None:
        return live.tags.get(self.applied_key(live.name))


def backoff_delays(ctx: Context) -> Callable[[], float]:
    """Exponential backoff with a cap; returns the next delay each call."""
    state = {"delay": ctx.poll_initial}

    def next_delay() -> float:
        delay = state["delay"]
        state["delay"] = min(delay * 2, ctx.poll_max)
        return delay

    return next_delay


def deadline(seconds: float) -> Callable[[], bool]:
    end = time.monotonic() + seconds
    return lambda: time.monotonic() > end


def drop_empty(value: dict[str, Any]) -> dict[str, Any]:
    """Remove None/empty values: AWS omits them, and several list fields reject an empty list."""
    return {k: v for k, v in value.items() if v not in (None, [], {}, "")}
