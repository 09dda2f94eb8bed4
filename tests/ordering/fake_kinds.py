"""In-memory kinds, for tests of the engine's walks (applying, reading) without the sandbox: the resources
live in a dict, and a test can make a create or delete fail, decline a delete (ResourceKept), or hook a read.

    stack = fake_stack(tmp_path, RESOURCES, FakeKind(failing={"walk-a"}))
    result = apply_plan(context(stack), plan_changes(stack, LiveState()))
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

from reconciler.applying import Outcome, apply_plan
from reconciler.aws import Clients
from reconciler.kinds.base import Context, Kind, ResourceSpec
from reconciler.kinds.waiting import ResourceKept
from reconciler.live import OWNER_TAG, Live, LiveState
from reconciler.planning import plan_changes
from reconciler.stack import Stack, load_stack

Hook = Callable[[str], None]


class FakeSpec(ResourceSpec):
    kind: Literal["fake"]
    value: str = ""


class FakeKind(Kind):
    kind = "fake"
    spec_model = FakeSpec
    attributes = frozenset({"id", "name", "value"})
    name_pattern = r"[a-z0-9-]{1,60}"
    name_hint = "lower-case letters, digits and -"

    def __init__(self, *, failing: Iterable[str] = (), kept: Iterable[str] = (), on_read: Hook | None = None) -> None:
        self.store: dict[str, Live] = {}
        self.failing, self.kept, self.on_read = set(failing), set(kept), on_read
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def desired(self, name: str, spec: dict[str, Any], *, stack: str, current: Live | None = None) -> dict[str, Any]:
        return {"value": spec["value"]}

    def read(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live | None:
        self._record("read", name)
        if self.on_read is not None:
            self.on_read(name)
        return self.store.get(name)

    def discover(self, ctx: Context, parents: dict[str, Live]) -> list[tuple[str, dict[str, Any]]]:
        return [(name, {}) for name, live in self.store.items() if live.tags.get(OWNER_TAG) == ctx.stack]

    def create(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live:
        self._record("create", name)
        return self._put(ctx, name, spec)

    def update(self, ctx: Context, live: Live, spec: dict[str, Any]) -> Live:
        self._record("update", live.name)
        return self._put(ctx, live.name, spec)

    def delete(self, ctx: Context, live: Live) -> None:
        self._record("delete", live.name)
        if live.name in self.kept:
            raise ResourceKept(f"{live.name} holds something that is not the stack's")
        with self._lock:
            del self.store[live.name]

    def tag(self, ctx: Context, live: Live, tags: dict[str, str]) -> None:
        with self._lock:
            self.store[live.name] = Live(**{**vars(self.store[live.name]), "tags": {**live.tags, **tags}})

    def _put(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live:
        if name in self.failing:
            raise RuntimeError(f"{name} refused")
        document = self.desired(name, spec, stack=ctx.stack)
        outputs = {"id": f"id-{name}", "name": name, **document}
        live = Live(name, True, document, outputs, tags={OWNER_TAG: ctx.stack})
        with self._lock:
            self.store[name] = live
        return live

    def _record(self, call: str, name: str) -> None:
        with self._lock:
            self.calls.append((call, name))


class FakeOwnerSpec(ResourceSpec):
    kind: Literal["fake_owner"]


class FakeOwner(FakeKind):
    """A kind others are read through (a gateway): `lookup` gives its id before `read` has the rest."""

    kind = "fake_owner"
    spec_model = FakeOwnerSpec  # type: ignore[assignment]

    def desired(self, name: str, spec: dict[str, Any], *, stack: str, current: Live | None = None) -> dict[str, Any]:
        return {}

    def lookup(self, ctx: Context, name: str, spec: dict[str, Any]) -> dict[str, Any] | None:
        self._record("lookup", name)
        return {"id": f"id-{name}"} if name in self.store else None


class FakeChildSpec(ResourceSpec):
    kind: Literal["fake_child"]
    owner: str


class FakeChild(FakeKind):
    """A kind owned through another (a gateway's target): read with its owner's id."""

    kind = "fake_child"
    spec_model = FakeChildSpec  # type: ignore[assignment]
    owner_field = "owner"
    owner_kind = "fake_owner"

    def desired(self, name: str, spec: dict[str, Any], *, stack: str, current: Live | None = None) -> dict[str, Any]:
        return {"owner": spec["owner"]}

    def discover(self, ctx: Context, parents: dict[str, Live]) -> list[tuple[str, dict[str, Any]]]:
        return [
            (name, {"owner": live.document["owner"]})
            for name, live in self.store.items()
            if live.document["owner"] in parents
        ]

    def read(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live | None:
        self._record(f"read with owner {spec['owner']}", name)
        if self.on_read is not None:
            self.on_read(name)
        return self.store.get(name)


def fake_stack(folder: Path, resources: str, *kinds: FakeKind) -> Stack:
    """A stack `walk` of the RESOURCES (YAML under `resources:`), loaded with only these kinds."""
    (folder / "stack.yaml").write_text(f"stack: walk\nresources:\n{resources}")
    return load_stack(folder / "stack.yaml", {}, kinds={kind.kind: kind for kind in kinds})


def apply_all(stack: Stack) -> list[Outcome]:
    """Apply the stack from nothing; the outcomes."""
    return apply_plan(context(stack), plan_changes(stack, LiveState())).outcomes


def context(stack: Stack) -> Context:
    """No AWS client: the fake kinds call none."""
    clients = Clients(iam=None, control=None, region="us-east-1")
    return Context(clients=clients, stack=stack.name, poll_initial=0.0, kinds=stack.kinds)
