"""A plan is plain data (Terraform's internal/plans): one `ResourceChange` per resource, no I/O.

A plan carries everything apply needs: each change's declared spec (references unresolved: they
are filled in from the resources applied before it), the live resource it was planned from, and
its dependencies. `reason` explains the plan to people; apply decides only from `action`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, get_args

from reconciler.diagnostics import Diagnostic
from reconciler.live import Live

Step = str | int
FieldPath = tuple[Step, ...]
"""A field's place in a document as steps (keys, list indexes), e.g. ("openapi", "paths", "/a.b", "get")."""

Report = Literal[
    "values_changed",
    "type_changes",
    "dictionary_item_added",
    "dictionary_item_removed",
    "iterable_item_added",
    "iterable_item_removed",
]
"""DeepDiff's report types, the kinds of field change a plan shows."""
REPORTS: tuple[Report, ...] = get_args(Report)


@dataclass(frozen=True)
class FieldChange:
    """One DeepDiff report: at `path` (indexes of added items count in the new list, others in the old)."""

    path: FieldPath
    report: Report
    before: Any
    after: Any

    @property
    def removed(self) -> bool:
        return self.report in ("dictionary_item_removed", "iterable_item_removed")


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    NOOP = "no-op"

    @property
    def json_actions(self) -> list[str]:
        """Terraform's JSON form: replace is delete-then-create."""
        return {"replace": ["delete", "create"], "no-op": ["no-op"]}.get(self.value, [self.value])


@dataclass(frozen=True)
class ResourceChange:
    address: str
    kind: str
    name: str
    action: Action
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    changes: tuple[FieldChange, ...] = ()
    """What differs between `before` and `after` (reconciler.diffing)."""
    replace_paths: tuple[FieldPath, ...] = ()
    reason: str = ""
    sensitive: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()
    spec: dict[str, Any] | None = field(default=None, repr=False)
    """The declared spec, `${resource.attribute}` references unresolved (None for deletes)."""
    current: Live | None = None
    """The live resource this change was planned from (None for creates)."""
    depends_on: frozenset[str] = frozenset()
    """Addresses of the declared resources this one references or names in depends_on."""
    not_compared: frozenset[str] = frozenset()
    """Sensitive fields the plan could not compare (their variable unset): a saved plan says so, and its apply
    compares them then."""


@dataclass(frozen=True)
class Plan:
    stack: str
    changes: tuple[ResourceChange, ...]
    diagnostics: tuple[Diagnostic, ...] = field(default=())

    @property
    def has_changes(self) -> bool:
        return any(c.action is not Action.NOOP for c in self.changes)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action is action)
