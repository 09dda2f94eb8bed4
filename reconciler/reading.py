"""Read the live state of a stack from AWS: each declared resource by its name, in dependency
order (a target is found through its gateway's id), plus owned resources no longer declared."""

from __future__ import annotations

import graphlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws import error_code, error_message
from reconciler.kinds import KINDS
from reconciler.kinds.base import Context, Kind, Live
from reconciler.spec.interpolation import UNKNOWN, Ref, references_in, resolve_refs
from reconciler.stack import ResourceDecl, Stack


class ReadFailed(RuntimeError):
    """AWS refused a read; names the resource being read and the operation."""


@dataclass(frozen=True)
class Orphan:
    """An owned resource found in AWS that the spec no longer declares."""

    kind: str
    live: Live


@dataclass
class LiveState:
    resources: dict[str, Live | None] = field(default_factory=dict)
    orphans: list[Orphan] = field(default_factory=list)


def read_live_state(ctx: Context, stack: Stack, *, parallelism: int = 10) -> LiveState:
    """Resources are read at once, except that a resource read through another (a target through
    its gateway's id) waits for that one; removed resources are looked for meanwhile.
    `parallelism` bounds the resources read at the same time (Terraform's default is 10)."""
    ctx.fresh_reads()
    state = LiveState()
    with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="read") as pool:
        early = {k.kind: pool.submit(k.discover, ctx, {}) for k in _discovered(stack) if k.owner_kind is None}
        for generation in _read_order(stack):
            reads = {
                logical: pool.submit(_read, ctx, stack.resources[logical], state.resources) for logical in generation
            }
            failures = []
            for logical, future in reads.items():
                try:
                    state.resources[logical] = future.result()
                except Exception as exc:  # noqa: BLE001 - the others are waited for, then one is reported
                    failures.append(exc)
            if failures:  # the first in stack order, and AWS's refusal before anything else
                raise next((f for f in failures if isinstance(f, ReadFailed)), failures[0])
        state.orphans = _orphans(ctx, stack, state, pool, early)
    return state


def _read(ctx: Context, decl: ResourceDecl, resources: dict[str, Live | None]) -> Live | None:
    spec = resolve_refs(decl.spec, lambda ref: live_output(resources, ref))
    try:
        return KINDS[decl.kind].read(ctx, decl.name, spec)
    except ClientError as exc:
        raise ReadFailed(
            f"reading {decl.kind} {decl.name!r} ({decl.logical}): {exc.operation_name} failed with "
            f"{error_code(exc)}: {error_message(exc)}"
        ) from exc


def _read_order(stack: Stack) -> list[list[str]]:
    """Generations of resources to read: only an owner reference (a target's gateway) orders reads."""
    needs = {}
    for logical, decl in stack.resources.items():
        owner_field = KINDS[decl.kind].owner_field
        needs[logical] = {r.resource for r in references_in(decl.spec[owner_field])} if owner_field else set()
    sorter, rank = graphlib.TopologicalSorter(needs), {logical: i for i, logical in enumerate(stack.order())}
    sorter.prepare()
    generations = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=rank.__getitem__)
        generations.append(ready)
        sorter.done(*ready)
    return generations


def live_output(resources: dict[str, Live | None], ref: Ref) -> Any:
    live = resources.get(ref.resource)
    return live.outputs.get(ref.attribute, UNKNOWN) if live else UNKNOWN


def _discovered(stack: Stack) -> list[Kind]:
    """The kinds whose removed resources are looked for (Kind.discovery_group)."""
    groups = {KINDS[decl.kind].discovery_group for decl in stack.resources.values()}
    return [k for k in KINDS.values() if k.discovery_group is None or k.discovery_group in groups]


def _orphans(
    ctx: Context,
    stack: Stack,
    state: LiveState,
    pool: ThreadPoolExecutor,
    early: dict[str, Future[list[tuple[str, dict[str, Any]]]]],
) -> list[Orphan]:
    """`early`: the listings of kinds that need no parent, started while the declared resources were read."""
    declared = set()
    for decl in stack.resources.values():
        kind = KINDS[decl.kind]
        parent = (
            resolve_refs(decl.spec[kind.owner_field], lambda r: live_output(state.resources, r))
            if kind.owner_field
            else None
        )
        declared.add((decl.kind, decl.name, parent))
    parents = {
        kind.kind: {
            live.outputs["id"]: live
            for logical, live in state.resources.items()
            if live and stack.resources[logical].kind == kind.owner_kind
        }
        for kind in KINDS.values()
    }
    listings = early | {
        kind.kind: pool.submit(kind.discover, ctx, parents[kind.kind])
        for kind in _discovered(stack)
        if kind.kind not in early
    }
    # A name a declared resource's live outputs claim (a gateway's own workload identity) is that
    # resource's part, never a removed resource of this stack: not read again.
    claimed = {
        v
        for live in state.resources.values()
        if live
        for k, v in live.outputs.items()
        if k != "name" and isinstance(v, str)
    }
    candidates = [
        (kind, name, read_spec)
        for kind in _discovered(stack)
        for name, read_spec in listings[kind.kind].result()
        if (kind.kind, name, read_spec.get(kind.owner_field) if kind.owner_field else None) not in declared
        and name not in claimed
    ]
    reads = [pool.submit(kind.read, ctx, name, read_spec) for kind, name, read_spec in candidates]
    found: list[Orphan] = []
    for (kind, _, read_spec), future in zip(candidates, reads, strict=True):
        live, parent = future.result(), read_spec.get(kind.owner_field) if kind.owner_field else None
        if live is not None and (live.owned if parent is None else parents[kind.kind][parent].owned):
            found.append(Orphan(kind.kind, live))
    return found
