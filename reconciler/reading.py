"""Read the live state of a stack from AWS: each declared resource by its name, in dependency
order (a target is found through its gateway's id), plus owned resources no longer declared."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws import error_code, error_message
from reconciler.kinds import KINDS
from reconciler.kinds.base import Context, Live
from reconciler.spec.interpolation import UNKNOWN, Ref, resolve_refs
from reconciler.stack import Stack


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


def read_live_state(ctx: Context, stack: Stack) -> LiveState:
    ctx.fresh_reads()
    state = LiveState()
    for logical in stack.order():
        decl = stack.resources[logical]
        spec = resolve_refs(decl.spec, lambda ref: live_output(state.resources, ref))
        try:
            state.resources[logical] = KINDS[decl.kind].read(ctx, decl.name, spec)
        except ClientError as exc:
            raise ReadFailed(
                f"reading {decl.kind} {decl.name!r} ({logical}): {exc.operation_name} failed with "
                f"{error_code(exc)}: {error_message(exc)}"
            ) from exc
    state.orphans = _orphans(ctx, stack, state)
    return state


def live_output(resources: dict[str, Live | None], ref: Ref) -> Any:
    live = resources.get(ref.resource)
    return live.outputs.get(ref.attribute, UNKNOWN) if live else UNKNOWN


def _orphans(ctx: Context, stack: Stack, state: LiveState) -> list[Orphan]:
    declared = set()
    for decl in stack.resources.values():
        kind = KINDS[decl.kind]
        parent = (
            resolve_refs(decl.spec[kind.owner_field], lambda r: live_output(state.resources, r))
            if kind.owner_field
            else None
        )
        declared.add((decl.kind, decl.name, parent))
    found: list[Orphan] = []
    for kind in KINDS.values():
        parents = {
            live.outputs["id"]: live
            for logical, live in state.resources.items()
            if live and stack.resources[logical].kind == kind.owner_kind
        }
        for name, read_spec in kind.discover(ctx, parents):
            parent = read_spec.get(kind.owner_field) if kind.owner_field else None
            if (kind.kind, name, parent) in declared:
                continue
            live = kind.read(ctx, name, read_spec)
            if live is not None and (live.owned if parent is None else parents[parent].owned):
                found.append(Orphan(kind.kind, live))
    return found
