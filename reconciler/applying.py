"""Carry out a plan: one graph walk (reconciler.ordering) for creates, updates, replaces and deletes,
independent nodes in parallel. Needs nothing but the plan and a context. A node that fails skips
exactly the nodes that wait for it, directly or not; each skip names the failure that caused it.

Before every delete the resource's ownership is read again from AWS (its tag, or its owner's for a target or
an artifact): what carries no `reconcile:stack` tag of this stack is never deleted, whatever the plan says."""

from __future__ import annotations

import graphlib
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler import aws
from reconciler.aws import error_code, error_message
from reconciler.kinds import Kinds, all_kinds
from reconciler.kinds.base import Context, Kind
from reconciler.kinds.waiting import ResourceKept
from reconciler.live import Live, document_fingerprint
from reconciler.ordering import Node, apply_graph
from reconciler.plan import Action, Plan, ResourceChange
from reconciler.spec.interpolation import Ref, resolve_refs

VERB = {Action.CREATE: "creating", Action.UPDATE: "updating", Action.REPLACE: "creating (replace)"}


@dataclass(frozen=True)
class Outcome:
    address: str
    action: Action
    """What this node did: create, update, delete or no-op (a replace has a delete and a create)."""
    error: str | None = None
    cause: str | None = None
    """For a skipped node: the address whose failure it waited for."""
    kept: str | None = None
    """For a delete the kind declined on purpose (ResourceKept): which resource stays and why. Not a
    failure: the action is no-op, and what waits for this node goes on (a replace's delete fails instead)."""

    @property
    def skipped(self) -> bool:
        return self.cause is not None


@dataclass
class ApplyResult:
    outcomes: list[Outcome] = field(default_factory=list)
    lives: dict[str, Live] = field(default_factory=dict)
    """Address -> the resource as it is after apply (no-ops included)."""

    @property
    def ok(self) -> bool:
        return all(o.error is None for o in self.outcomes)

    @property
    def changed(self) -> int:
        """Resources changed (a replace counts once)."""
        return len({o.address for o in self.outcomes if o.error is None and o.action is not Action.NOOP})


def describe_error(change: ResourceChange, exc: BaseException) -> str:
    what = f"{change.kind} {change.name!r} ({change.address})"
    if isinstance(exc, aws.ClientError):
        return f"{what}: {exc.operation_name} failed with {error_code(exc)}: {error_message(exc)}"
    return f"{what}: {exc}"


def registry(ctx: Context) -> Kinds:
    """The kinds a plan is applied with: the engine's (on the Context), or every kind for a Context made by hand."""
    return ctx.kinds or all_kinds()


def apply_plan(ctx: Context, plan: Plan, *, parallelism: int = 4) -> ApplyResult:
    kinds = registry(ctx)
    graph = apply_graph(plan)
    changes = {c.address: c for c in plan.changes}
    sorter = graphlib.TopologicalSorter(graph)
    sorter.prepare()
    result = ApplyResult()
    causes: dict[Node, str] = {}
    """node -> the failed address it waited for, directly or not."""
    running: dict[Future[tuple[Outcome, Live | None]], Node] = {}
    with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="apply") as pool:
        try:
            while sorter.is_active():
                for node in sorter.get_ready():
                    change = changes[node.address]
                    cause = next((causes[n] for n in sorted(graph[node]) if n in causes), None)
                    if cause is not None:
                        causes[node] = cause
                        result.outcomes.append(_skipped(change, node, cause, result))
                        sorter.done(node)
                    elif node.phase == "apply" and change.action is Action.NOOP:
                        assert change.current is not None
                        result.lives[node.address] = change.current
                        result.outcomes.append(Outcome(node.address, Action.NOOP))
                        sorter.done(node)
                    else:
                        spec = _resolved(change, changes, result.lives, kinds) if node.phase == "apply" else None
                        guard = _ownership_guard(ctx, kinds, change, changes) if node.phase == "delete" else None
                        running[pool.submit(_run, ctx, kinds[change.kind], node, change, spec, guard)] = node
                if not running:
                    continue
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    node = running.pop(future)
                    outcome, live = future.result()
                    result.outcomes.append(outcome)
                    if outcome.error is not None:
                        causes[node] = node.address
                    elif live is not None:
                        result.lives[node.address] = live
                    sorter.done(node)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return result


def _resolved(
    change: ResourceChange, changes: dict[str, ResourceChange], lives: dict[str, Live], kinds: Kinds
) -> dict[str, Any]:
    """The spec with references filled in from the resources applied before this one."""
    assert change.spec is not None

    def value(ref: Ref) -> Any:
        return kinds[changes[ref.resource].kind].output(ref.resource, lives[ref.resource], ref.attribute)

    resolved: dict[str, Any] = resolve_refs(change.spec, value)
    return resolved


class NotOwned(RuntimeError):
    """A delete refused: the resource (or its owner) no longer carries this stack's ownership tag."""


def _ownership_guard(
    ctx: Context, kinds: Kinds, change: ResourceChange, changes: dict[str, ResourceChange]
) -> Callable[[], None]:
    """Reads the ownership the delete relies on again, right before it; raises NotOwned."""
    assert change.current is not None
    kind, current = kinds[change.kind], change.current

    def check() -> None:
        if kind.owner_kind is None:
            fresh = kind.read(ctx, current.name, {})
            if fresh is not None and not fresh.owned:
                raise NotOwned(f"it no longer carries the tag reconcile:stack={ctx.stack}; not deleted")
            return
        owner_kind = kind.owner_kind
        owner = _owner_of(current, owner_kind, changes)
        # Its owner is not in this plan (a --target of the child alone): found from the child, in AWS.
        name = owner.name if owner is not None else kind.owner_name(ctx, current)
        fresh = kinds[owner_kind].read(ctx, name, {}) if name is not None else None
        if fresh is not None and not fresh.owned:
            raise NotOwned(f"its {owner_kind} {name!r} no longer carries the tag reconcile:stack={ctx.stack}")

    return check


def _owner_of(child: Live, owner_kind: str, changes: dict[str, ResourceChange]) -> Live | None:
    """The resource of `owner_kind` in the plan whose id or name the child's outputs hold (a target's gateway_id,
    an artifact's bucket)."""
    held = {v for v in child.outputs.values() if isinstance(v, str)}
    for change in changes.values():
        owner = change.current
        if change.kind == owner_kind and owner is not None:
            if held & {v for k, v in owner.outputs.items() if k in ("id", "name") and isinstance(v, str)}:
                return owner
    return None


def _run(
    ctx: Context,
    kind: Kind,
    node: Node,
    change: ResourceChange,
    spec: dict[str, Any] | None,
    guard: Callable[[], None] | None = None,
) -> tuple[Outcome, Live | None]:
    """One node's AWS work; every failure becomes an outcome, so the other nodes go on."""
    if node.phase == "delete":
        action, verb = Action.DELETE, "deleting (replace)" if change.action is Action.REPLACE else "deleting"
    else:
        action, verb = (Action.UPDATE if change.action is Action.UPDATE else Action.CREATE), VERB[change.action]
    ctx.progress(f"{change.address}: {verb} {change.kind} {change.name}")
    try:
        live = None
        if action is Action.DELETE:
            assert change.current is not None and guard is not None
            guard()
            kind.delete(ctx, change.current)
        elif action is Action.UPDATE:
            assert change.current is not None and spec is not None
            live = kind.update(ctx, change.current, spec)
        else:
            assert spec is not None
            live = kind.create(ctx, change.name, spec)
        if live is not None:
            live = _record_applied(ctx, kind, live)
    except Exception as exc:  # noqa: BLE001 - any failure is this node's outcome
        if isinstance(exc, ResourceKept) and change.action is Action.DELETE:
            kept = f"kept {change.kind} {change.name!r} ({change.address}): {exc}"
            return Outcome(change.address, Action.NOOP, kept=kept), None
        # In a replace, the kept old resource stands in the new one's way: that is a failure.
        return Outcome(change.address, action, error=describe_error(change, exc)), None
    for note in live.notes if live else ():
        ctx.progress(f"{change.address}: {note}")
    return Outcome(change.address, action), live


def _record_applied(ctx: Context, kind: Kind, live: Live) -> Live:
    """Tag what this apply left, so `plan --refresh-only` can tell later changes made elsewhere (drift)."""
    recorded = {kind.applied_key(live.name): document_fingerprint(live.document)}
    kind.tag(ctx, live, recorded)
    return replace(live, tags={**live.tags, **recorded})


def _skipped(change: ResourceChange, node: Node, cause: str, result: ApplyResult) -> Outcome:
    failure = next((o.error for o in result.outcomes if o.address == cause and o.error and not o.skipped), None)
    action = Action.DELETE if node.phase == "delete" else change.action
    message = f"{change.kind} {change.name!r} ({change.address}) skipped: it waits for {cause}, which failed"
    return Outcome(change.address, action, error=f"{message} ({failure})" if failure else message, cause=cause)
