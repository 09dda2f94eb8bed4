"""Carry out a plan: replaced resources are deleted first (dependents before what they depend on),
then a graph walk creates and updates with independent resources in parallel, then resources
removed from the spec are deleted. A failure stops only what depends on the failed resource."""

from __future__ import annotations

import graphlib
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws import error_code, error_message
from reconciler.kinds import KINDS
from reconciler.kinds.base import Context, Live
from reconciler.plan import Action, Plan, ResourceChange
from reconciler.reading import LiveState
from reconciler.spec.interpolation import resolve_refs
from reconciler.spec.loading import Stack


@dataclass(frozen=True)
class Outcome:
    address: str
    action: Action
    error: str | None = None
    skipped: bool = False


@dataclass
class ApplyResult:
    outcomes: list[Outcome] = field(default_factory=list)
    lives: dict[str, Live] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(o.error is None and not o.skipped for o in self.outcomes)


def describe_error(change: ResourceChange, exc: BaseException) -> str:
    what = f"{change.kind} {change.name!r} ({change.address})"
    if isinstance(exc, ClientError):
        return f"{what}: {exc.operation_name} failed with {error_code(exc)}: {error_message(exc)}"
    return f"{what}: {exc}"


def apply_plan(ctx: Context, stack: Stack, plan: Plan, live: LiveState, *, parallelism: int = 4) -> ApplyResult:
    result = ApplyResult()
    changes = {c.address: c for c in plan.changes}
    failed: set[str] = set()
    for logical in reversed(stack.order()):
        change = changes[logical]
        if change.action is Action.REPLACE:
            current = live.resources[logical]
            assert current is not None
            if not _run(
                ctx, result, change, partial(KINDS[change.kind].delete, ctx, current), announce="deleting (replace)"
            ):
                failed.add(logical)
    _walk(ctx, stack, changes, live, result, failed, parallelism)
    _delete_all(ctx, stack, plan, live, result)
    return result


def destroy_plan(ctx: Context, stack: Stack, plan: Plan, live: LiveState) -> ApplyResult:
    """Run a plan made by `plan_destroy`: deletes only, in the plan's order."""
    result = ApplyResult()
    _delete_all(ctx, stack, plan, live, result)
    return result


def _delete_all(ctx: Context, stack: Stack, plan: Plan, live: LiveState, result: ApplyResult) -> None:
    existing = {(o.kind, o.live.name): o.live for o in live.orphans}
    existing |= {(stack.resources[k].kind, v.name): v for k, v in live.resources.items() if v is not None}
    for change in plan.changes:
        if change.action is Action.DELETE:
            target = existing[(change.kind, change.name)]
            _run(ctx, result, change, partial(KINDS[change.kind].delete, ctx, target), announce="deleting")


def _walk(
    ctx: Context,
    stack: Stack,
    changes: dict[str, ResourceChange],
    live: LiveState,
    result: ApplyResult,
    failed: set[str],
    parallelism: int,
) -> None:
    graph = graphlib.TopologicalSorter({k: r.depends_on for k, r in stack.resources.items()})
    graph.prepare()
    running: dict[Future[bool], str] = {}
    with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="apply") as pool:
        try:
            while graph.is_active():
                for logical in graph.get_ready():
                    blocked = [d for d in stack.resources[logical].depends_on if d in failed]
                    if logical in failed or blocked:
                        failed.add(logical)
                        if logical not in {o.address for o in result.outcomes}:
                            result.outcomes.append(
                                Outcome(
                                    logical,
                                    changes[logical].action,
                                    skipped=True,
                                    error=f"skipped: depends on {', '.join(blocked)}, which failed",
                                )
                            )
                        graph.done(logical)
                        continue
                    running[pool.submit(_converge, ctx, stack, changes[logical], live, result)] = logical
                if not running:
                    continue
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    logical = running.pop(future)
                    if not future.result():
                        failed.add(logical)
                    graph.done(logical)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _converge(ctx: Context, stack: Stack, change: ResourceChange, live: LiveState, result: ApplyResult) -> bool:
    decl, kind = stack.resources[change.address], KINDS[change.kind]
    current = live.resources.get(change.address)
    if change.action is Action.NOOP:
        assert current is not None
        result.lives[change.address] = current
        return True

    def act() -> Live:
        spec = resolve_refs(decl.spec, lambda ref: result.lives[ref.resource].outputs[ref.attribute])
        if change.action is Action.UPDATE:
            assert current is not None
            return kind.update(ctx, current, spec)
        return kind.create(ctx, decl.name, spec)

    verb = {Action.CREATE: "creating", Action.UPDATE: "updating", Action.REPLACE: "creating (replace)"}[change.action]
    return _run(ctx, result, change, lambda: result.lives.__setitem__(change.address, act()), announce=verb)


def _run(ctx: Context, result: ApplyResult, change: ResourceChange, work: Any, *, announce: str) -> bool:
    ctx.progress(f"{change.address}: {announce} {change.kind} {change.name}")
    try:
        work()
    except Exception as exc:  # every failure becomes an outcome; the others go on
        result.outcomes.append(Outcome(change.address, change.action, error=describe_error(change, exc)))
        return False
    if change.address in result.lives:
        for note in result.lives[change.address].notes:
            ctx.progress(f"{change.address}: {note}")
    result.outcomes.append(Outcome(change.address, change.action))
    return True
