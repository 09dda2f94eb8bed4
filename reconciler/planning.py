"""Decide what to do: a pure function of (desired stack, live state). No side effects, no AWS."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from reconciler.diagnostics import Diagnostic
from reconciler.diffing import diff_documents
from reconciler.kinds.base import HAND_OFF
from reconciler.live import OWNER_TAG, REGION_TAG, Live, LiveState
from reconciler.plan import Action, Plan, ResourceChange
from reconciler.spec.interpolation import (
    UNKNOWN,
    Ref,
    holds_unknown,
    references_in,
    resolve_refs,
    unset_secret_variable,
)

if TYPE_CHECKING:
    from reconciler.kinds.base import Kind
    from reconciler.stack import Stack


def plan_changes(
    stack: Stack, live: LiveState, *, targets: frozenset[str] = frozenset(), forced: frozenset[str] = frozenset()
) -> Plan:
    """One change per declared resource (dependencies first), then deletes of removed ones.

    `targets` (--target): only those addresses and what they depend on, directly or not; a removed
    resource is in only when its `removed.<name>` address is named. `forced` (--replace): replace
    these even where an update would do (their dependents follow where a reference forces them). Both take the
    addresses the plan prints (`gateway.gateway`, `iam_role.removed.old-role`) as well as the bare keys."""
    targets, forced = _bare(targets, stack), _bare(forced, stack)
    problems: list[Diagnostic] = [
        _unknown_address(a, stack, live) for a in sorted(targets | forced) if not _known(a, stack, live)
    ]
    if problems:
        return Plan(stack=stack.name, changes=(), diagnostics=tuple(problems))
    chosen = _with_dependencies(stack, targets) if targets else None
    if chosen is not None:
        problems.append(
            Diagnostic(
                f"resource targeting is in effect: only {', '.join(sorted(targets))} and what they depend on",
                "the plan may be incomplete: other changes the stack file asks for are not in it",
                severity="warning",
            )
        )
    changes: dict[str, ResourceChange] = {}

    def lookup(ref: Ref) -> Any:
        change, current = changes.get(ref.resource), live.resources.get(ref.resource)
        if change is None or current is None or change.action in (Action.CREATE, Action.REPLACE):
            return UNKNOWN
        if ref.attribute != HAND_OFF:
            return current.outputs.get(ref.attribute, UNKNOWN)
        # The hand-off part comes from the document, which an update changes: the part after the update,
        # unknown only where the part itself holds a value known after apply.
        part = stack.kinds[change.kind].hand_off(ref.resource, replace(current, document=change.after or {}))
        return UNKNOWN if holds_unknown(part) else part

    for logical in stack.order():
        if chosen is not None and logical not in chosen:
            continue
        decl = stack.resources[logical]
        kind = stack.kinds[decl.kind]
        current = live.resources.get(logical)
        after = kind.desired(decl.name, resolve_refs(decl.spec, lookup), stack=stack.name, current=current)
        if current is not None and not _owned(kind.owner_field, decl.spec, current, live):
            problems.append(_not_owned(stack, logical, decl.kind, decl.name, current))
        change = _change(logical, kind, decl.name, current, after)
        if logical in forced and change.action in (Action.UPDATE, Action.NOOP):
            change = replace(change, action=Action.REPLACE, reason="replacement requested with --replace")
        unset = _unset_secrets(kind.sensitive, decl.spec)
        problems += [_not_compared(logical, f, v) for f, v in unset]
        notes = change.notes + tuple(f"{f}: (not compared: {v} is not set)" for f, v in unset)
        changes[logical] = replace(
            change,
            spec=decl.spec,
            depends_on=decl.depends_on,
            notes=notes,
            not_compared=frozenset(f for f, _ in unset),
        )
    deletes = tuple(
        _deleted(stack.kinds[o.kind], o.live)
        for o in live.orphans
        if chosen is None or f"removed.{o.live.name}" in targets
    )
    return Plan(stack=stack.name, changes=tuple(changes.values()) + deletes, diagnostics=tuple(problems))


def _bare(addresses: frozenset[str], stack: Stack) -> frozenset[str]:
    """`gateway.gateway` (the kind, then the key, as the plan prints it) -> `gateway`."""
    bare = set()
    for address in addresses:
        kind, _, rest = address.partition(".")
        bare.add(rest if kind in stack.kinds and rest else address)
    return frozenset(bare)


def _known(address: str, stack: Stack, live: LiveState) -> bool:
    return address in stack.resources or address in {f"removed.{o.live.name}" for o in live.orphans}


def _unknown_address(address: str, stack: Stack, live: LiveState) -> Diagnostic:
    removed = [f"removed.{o.live.name}" for o in live.orphans]
    return Diagnostic(
        f"no resource {address!r} in {stack.file.name}",
        f"name one of: {', '.join([*stack.resources, *removed])} (addresses are the keys under resources:)",
    )


def _with_dependencies(stack: Stack, targets: frozenset[str]) -> set[str]:
    chosen, todo = set(), [t for t in targets if t in stack.resources]
    while todo:
        address = todo.pop()
        if address not in chosen:
            chosen.add(address)
            todo.extend(stack.resources[address].depends_on)
    return chosen


def plan_destroy(stack: Stack, live: LiveState) -> Plan:
    """Delete every owned resource (apply orders them, dependents first); keep, and say so, what the
    stack does not own."""
    changes, kept = [], []
    for logical in reversed(stack.order()):
        decl, current = stack.resources[logical], live.resources.get(logical)
        if current is None:
            continue
        kind = stack.kinds[decl.kind]
        if _owned(kind.owner_field, decl.spec, current, live):
            deleted = _deleted(kind, current, address=logical, reason="")
            changes.append(replace(deleted, depends_on=decl.depends_on))
        else:
            kept.append(
                Diagnostic(
                    f"kept {decl.kind} {decl.name!r} ({logical}): not owned by stack {stack.name!r}",
                    f"it lacks the tag reconcile:stack={stack.name}; delete it yourself if it should go",
                    severity="warning",
                )
            )
    changes += [_deleted(stack.kinds[o.kind], o.live) for o in live.orphans]
    return Plan(stack=stack.name, changes=tuple(changes), diagnostics=tuple(kept))


def _change(logical: str, kind: Kind, name: str, current: Live | None, after: dict[str, Any]) -> ResourceChange:
    created = ResourceChange(
        address=logical,
        kind=kind.kind,
        name=name,
        action=Action.CREATE,
        before=None,
        after=after,
        reason="does not exist",
        sensitive=kind.sensitive,
    )
    if current is None:
        return created
    changes = diff_documents(current.document, after)
    forcing = tuple(sorted({f for f in kind.force_new for c in changes if c.path[: len(f)] == f}))
    if forcing:
        action, reason = Action.REPLACE, f"{', '.join('.'.join(f) for f in forcing)} cannot be changed in place"
    elif changes:
        action, reason = Action.UPDATE, ""
    else:
        action, reason = Action.NOOP, ""
    return replace(
        created,
        action=action,
        before=current.document,
        changes=changes,
        replace_paths=forcing,
        reason=reason,
        notes=current.notes,
        current=current,
    )


def _deleted(
    kind: Kind,
    current: Live,
    *,
    address: str | None = None,
    reason: str = "owned by this stack but no longer in the spec",
) -> ResourceChange:
    return ResourceChange(
        address=address or f"removed.{current.name}",
        kind=kind.kind,
        name=current.name,
        action=Action.DELETE,
        before=current.document,
        after=None,
        reason=reason,
        sensitive=kind.sensitive,
        current=current,
    )


def _owned(owner_field: str | None, spec: dict[str, Any], current: Live, live: LiveState) -> bool:
    """Owned by tag, or (targets) through the declared resource named in `owner_field`."""
    if owner_field is None:
        return current.owned
    parents = [live.resources.get(ref.resource) for ref in references_in(spec[owner_field])]
    return bool(parents) and all(p is not None and p.owned for p in parents)


def _unset_secrets(sensitive: frozenset[str], spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, environment variable) of each secret the plan was made without."""
    found = []
    for name in sorted(sensitive):
        value = spec.get(name)
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        variable = unset_secret_variable(text) if isinstance(text, str) else None
        if variable is not None:
            found.append((name, variable))
    return found


def _not_compared(logical: str, field: str, variable: str) -> Diagnostic:
    return Diagnostic(
        f"{logical}.{field} was not compared: {variable} is not set",
        f"the plan cannot tell whether it changed; apply needs {variable}",
        severity="warning",
    )


def _not_owned(stack: Stack, logical: str, kind: str, name: str, current: Live) -> Diagnostic:
    home = current.tags.get(REGION_TAG)
    if current.tags.get(OWNER_TAG) == stack.name and home:
        # This stack's own resource, deployed from another region (IAM is global): adopting it here would take
        # it from the stack there.
        return Diagnostic(
            f"{kind} {name!r} ({logical}) belongs to stack {stack.name!r} in region {home}, not to this run's region",
            f"the stack {stack.name!r} is deployed in {home}. Run in that region (AWS_REGION={home}, or `region: "
            f"{home}` in {stack.file.name}); to deploy a second copy here, give the stack another `stack:` name",
            file=str(stack.file),
            key=f"resources.{logical}",
        )
    why = "; ".join(current.notes) if current.notes else f"it lacks the tag reconcile:stack={stack.name}"
    return Diagnostic(
        f"{kind} {name!r} ({logical}) already exists and is not owned by stack {stack.name!r}",
        f"{why}, so it will not be changed. To manage it, run "
        f"`reconcile adopt {logical}`; to leave it alone, give the resource another `name:` in {stack.file.name}.",
        file=str(stack.file),
        key=f"resources.{logical}",
    )
