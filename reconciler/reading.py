"""Read the live state of a stack from AWS: each declared resource by its name, in dependency
order (a target is found through its gateway's id), plus owned resources no longer declared."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from reconciler import aws
from reconciler.aws import error_code, error_message
from reconciler.kinds.base import Context, Kind
from reconciler.live import Live, LiveState, Orphan
from reconciler.spec.interpolation import UNKNOWN, Ref, references_in, resolve_refs
from reconciler.stack import ResourceDecl, Stack


class ReadFailed(RuntimeError):
    """AWS refused a read; names the resource being read and the operation."""


def read_live_state(ctx: Context, stack: Stack, *, parallelism: int = 10) -> LiveState:
    """Resources are read at once, except that a resource read through another (a target through its
    gateway's id) waits for the outputs it needs: from the owner's `lookup` when its kind has one (the
    gateway's id, known after ListGateways), else from the owner's full read. Removed resources are looked
    for meanwhile. `parallelism` bounds the calls in flight (Terraform's default is 10); no task waits for
    another inside the pool, so a long chain cannot starve it."""
    ctx.fresh_reads()
    state = LiveState()
    needs = _read_needs(stack)
    known: dict[str, dict[str, Any]] = {}
    """Outputs of owners known so far (from their lookup or their read), for the reads waiting on them."""
    with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="read") as pool:
        early = {k.kind: pool.submit(k.discover, ctx, {}) for k in _discovered(stack) if k.owner_kind is None}
        jobs: dict[Future[Any], tuple[str, str]] = {}
        owners = {o for owners_of in needs.values() for o in owners_of}
        waiting = [("read", logical) for logical in needs] + [
            ("lookup", owner) for owner in owners if _has_lookup(stack.kinds[stack.resources[owner].kind])
        ]

        def start_ready() -> None:
            """Submit each read (and owner lookup) whose owners' outputs are all known, its spec resolved now."""
            ready = [(step, logical) for step, logical in waiting if all(o in known for o in needs[logical])]
            for step, logical in ready:
                waiting.remove((step, logical))
                decl = stack.resources[logical]
                spec = resolve_refs(decl.spec, _outputs_of(known))
                jobs[pool.submit(_step, ctx, stack.kinds[decl.kind], decl, spec, step)] = (step, logical)

        start_ready()
        failures: dict[str, Exception] = {}
        while jobs:
            done, _ = wait(jobs, return_when=FIRST_COMPLETED)
            for future in done:
                step, logical = jobs.pop(future)
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 - the others are waited for, then one is reported
                    failures[logical] = exc
                    known.setdefault(logical, {})  # its dependents read as if it did not exist; then we raise
                    continue
                if step == "lookup":
                    known[logical] = result or {}
                else:
                    state.resources[logical] = result
                    if logical in owners and not _has_lookup(stack.kinds[stack.resources[logical].kind]):
                        known[logical] = result.outputs if result else {}
            start_ready()
        if failures:  # the first in stack order, and AWS's refusal before anything else
            ordered = [failures[logical] for logical in stack.order() if logical in failures]
            raise next((f for f in ordered if isinstance(f, ReadFailed)), ordered[0])
        state.orphans = _orphans(ctx, stack, state, pool, early)
    return state


def _step(ctx: Context, kind: Kind, decl: ResourceDecl, spec: dict[str, Any], step: str) -> Any:
    """One read step of a resource: `read` it, or `lookup` what finding it gives; AWS's refusal names it."""
    try:
        return kind.read(ctx, decl.name, spec) if step == "read" else kind.lookup(ctx, decl.name, spec)
    except aws.ClientError as exc:
        raise ReadFailed(
            f"{'reading' if step == 'read' else 'looking up'} {decl.kind} {decl.name!r} ({decl.logical}): "
            f"{exc.operation_name} failed with {error_code(exc)}: {error_message(exc)}"
        ) from exc


def _read_needs(stack: Stack) -> dict[str, set[str]]:
    """For each resource, the resources it is read through: only an owner reference (a target's gateway)
    orders reads; any other reference reads as unknown until the plan resolves it."""
    needs = {}
    for logical, decl in stack.resources.items():
        owner_field = stack.kinds[decl.kind].owner_field
        needs[logical] = {r.resource for r in references_in(decl.spec[owner_field])} if owner_field else set()
    return needs


def _has_lookup(kind: Kind) -> bool:
    return type(kind).lookup is not Kind.lookup


def _outputs_of(known: dict[str, dict[str, Any]]) -> Callable[[Ref], Any]:
    return lambda ref: known.get(ref.resource, {}).get(ref.attribute, UNKNOWN)


def live_output(resources: dict[str, Live | None], ref: Ref) -> Any:
    live = resources.get(ref.resource)
    return live.outputs.get(ref.attribute, UNKNOWN) if live else UNKNOWN


def _discovered(stack: Stack) -> list[Kind]:
    """The kinds whose removed resources are looked for (Kind.discovery_group)."""
    groups = {stack.kinds[decl.kind].discovery_group for decl in stack.resources.values()}
    return [k for k in stack.kinds.values() if k.discovery_group is None or k.discovery_group in groups]


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
        kind = stack.kinds[decl.kind]
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
        for kind in stack.kinds.values()
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
    # What a declared resource already is in AWS is never a removed one, whatever name found it (a function URL,
    # which AWS does not name, found through the tag of a name the stack used before a rename).
    # (Kinds without an `id` output are found by their names, which the `declared` check above already covers.)
    declared_ids = {
        (stack.resources[logical].kind, live.outputs["id"])
        for logical, live in state.resources.items()
        if live and "id" in live.outputs
    }
    found: list[Orphan] = []
    for (kind, _, read_spec), future in zip(candidates, reads, strict=True):
        live, parent = future.result(), read_spec.get(kind.owner_field) if kind.owner_field else None
        if live is None or (kind.kind, live.outputs.get("id")) in declared_ids:
            continue
        owner = None if parent is None else _owner(parents[kind.kind], parent)
        if live.owned if parent is None else owner is not None and owner.owned:
            found.append(Orphan(kind.kind, live))
    return found


def _owner(parents: dict[str, Live], named: str) -> Live | None:
    """The owner a child's spec names: by its id (a gateway), or by another of its outputs (a function's name,
    where its id is the ARN), as the stack's own references name it."""
    if named in parents:
        return parents[named]
    return next((p for p in parents.values() if named in p.outputs.values()), None)
