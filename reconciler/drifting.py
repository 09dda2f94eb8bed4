"""Drift: what changed outside reconcile since the last apply, apart from what the stack file asks.

Pure. Every apply tags each resource it changed with the fingerprint of the document it left
(`reconcile:applied`; a target's is kept on its gateway). A resource whose document no longer has
that fingerprint drifted; a target its gateway remembers but AWS no longer has was deleted; a
resource with a fingerprint but without this stack's ownership tag had its tag changed. The drift
plan holds those resources' changes from the full plan, i.e. what apply would put back.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from reconciler.diagnostics import Diagnostic
from reconciler.live import OWNER_TAG, Live, LiveState, document_fingerprint
from reconciler.plan import Plan, ResourceChange
from reconciler.spec.interpolation import references_in

if TYPE_CHECKING:
    from reconciler.stack import Stack


def plan_drift(stack: Stack, live: LiveState, full: Plan) -> Plan:
    """`full` is `plan_changes(stack, live)`; the result keeps its changes for drifted resources only."""
    drifted: list[ResourceChange] = []
    notes: list[Diagnostic] = []
    for change in full.changes:
        decl = stack.resources.get(change.address)
        if decl is None:
            continue  # removed from the file: a change the file asks for, not drift
        kind, current = stack.kinds[decl.kind], live.resources.get(change.address)
        parent = _parent(kind.owner_field, decl.spec, live)
        recorded = kind.applied_fingerprint(current, parent) if current else None
        why = _drift(recorded, current, parent, decl.name, stack.name)
        if why == "unknown":
            notes.append(_no_record(change.address))
        elif why:
            drifted.append(replace(change, reason=why))
    return Plan(stack=stack.name, changes=tuple(drifted), diagnostics=tuple(notes))


def _drift(recorded: str | None, current: Live | None, parent: Live | None, name: str, stack: str) -> str:
    """Why this resource drifted ("" if it did not, "unknown" without a record of its last apply)."""
    if current is None:
        remembered = parent is not None and any(k.endswith(f":{name}") for k in parent.tags)
        return "deleted outside reconcile since the last apply" if remembered else ""
    if recorded is None:
        return "unknown" if current.owned else ""
    if current.tags and OWNER_TAG in current.tags and current.tags[OWNER_TAG] != stack:
        return f"its ownership tag changed to {current.tags[OWNER_TAG]!r} outside reconcile"
    if document_fingerprint(current.document) != recorded:
        return "changed outside reconcile since the last apply"
    return ""


def _parent(owner_field: str | None, spec: dict[str, object], live: LiveState) -> Live | None:
    if owner_field is None:
        return None
    refs = references_in(spec[owner_field])
    return live.resources.get(refs[0].resource) if refs else None


def _no_record(address: str) -> Diagnostic:
    return Diagnostic(
        f"{address}: no record of its last apply, so drift cannot be told",
        "it was applied by a reconcile without drift tracking; the next apply that changes it records it",
        severity="warning",
    )
