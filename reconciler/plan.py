"""A plan is plain data (Terraform's internal/plans): one `ResourceChange` per resource, no I/O.
`reason` explains the plan to people; apply decides only from `action`."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reconciler.diagnostics import Diagnostic


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
    changed: tuple[str, ...] = ()
    """Dotted paths of the fields that differ (e.g. `protocol.supported_versions`)."""
    replace_paths: tuple[str, ...] = ()
    reason: str = ""
    sensitive: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()


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

    def change(self, address: str) -> ResourceChange:
        return next(c for c in self.changes if c.address == address)
