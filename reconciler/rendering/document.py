"""The plan as a versioned JSON document, shaped like Terraform's plan JSON (`resource_changes`).

Secrets never appear: sensitive top-level fields read "(sensitive)" and are flagged in
`before_sensitive` / `after_sensitive`, and any other value from a sensitive source (a secret interpolated
into a description, an AWS credential) reads "(sensitive)" where it appears (reconciler.secrets.redact_value). Values known only after apply are null in `after` and
true at the same place in `after_unknown` (which holds only the unknown places). The schema is
`plan.schema.json` beside this file (README: "The JSON plan").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.plan import Action, FieldChange, Plan, ResourceChange
from reconciler.secrets import SENSITIVE, redact_value
from reconciler.spec.interpolation import Unknown

FORMAT_VERSION = "2.0"
SCHEMA = Path(__file__).with_name("plan.schema.json")


def plan_document(plan: Plan) -> dict[str, Any]:
    document: dict[str, Any] = redact_value(_document(plan))
    return document


def _document(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "stack": plan.stack,
        "resource_changes": [_resource_change(c) for c in plan.changes],
        "summary": {
            "add": plan.count(Action.CREATE),
            "change": plan.count(Action.UPDATE),
            "replace": plan.count(Action.REPLACE),
            "destroy": plan.count(Action.DELETE),
        },
        "diagnostics": [
            {
                "severity": d.severity,
                "summary": d.summary,
                "detail": d.detail,
                "file": d.file,
                "line": d.line,
                "key": d.key,
            }
            for d in plan.diagnostics
        ],
    }


def format_json(plan: Plan) -> str:
    return json.dumps(plan_document(plan), indent=2)


def _resource_change(c: ResourceChange) -> dict[str, Any]:
    before, after = _public(c.before, c.sensitive), _public(c.after, c.sensitive)
    return {
        "address": f"{c.kind}.{c.address}",
        "type": c.kind,
        "name": c.name,
        "action": c.action.value,
        "change": {
            "actions": c.action.json_actions,
            "before": _known(before),
            "after": _known(after),
            "after_unknown": _unknown_places(after) or {},
            "before_sensitive": {k: True for k in sorted(c.sensitive)} if c.before is not None else {},
            "after_sensitive": {k: True for k in sorted(c.sensitive)} if c.after is not None else {},
            "fields": [_field(f, c.sensitive) for f in c.changes],
            "changed_paths": _unique([list(f.path) for f in c.changes]),
            "replace_paths": [list(p) for p in c.replace_paths],
        },
        "action_reason": c.reason or None,
        "notes": list(c.notes),
    }


def _field(change: FieldChange, sensitive: frozenset[str]) -> dict[str, Any]:
    hidden = bool(change.path) and change.path[0] in sensitive
    field: dict[str, Any] = {"path": list(change.path), "report": change.report}
    for side, value in (("before", change.before), ("after", change.after)):
        field[side] = SENSITIVE if hidden and value is not None else _known(value)
    unknown = _unknown_places(change.after)
    if unknown is not None:
        field["after_unknown"] = unknown
    return field


def _public(doc: dict[str, Any] | None, sensitive: frozenset[str]) -> dict[str, Any] | None:
    if doc is None:
        return None
    return {k: (SENSITIVE if k in sensitive else v) for k, v in doc.items()}


def _known(value: Any) -> Any:
    """The value with every unknown part as null."""
    if isinstance(value, Unknown):
        return None
    if isinstance(value, dict):
        return {k: _known(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_known(v) for v in value]
    return value


def _unknown_places(value: Any) -> Any:
    """Terraform's after_unknown: true where the value is unknown; containers only around those places."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        inner = {k: u for k, v in value.items() if (u := _unknown_places(v)) is not None}
        return inner or None
    if isinstance(value, list):
        items = [_unknown_places(v) for v in value]
        return [False if u is None else u for u in items] if any(u is not None for u in items) else None
    return None


def _unique(paths: list[list[Any]]) -> list[list[Any]]:
    seen: list[list[Any]] = []
    for path in paths:
        if path not in seen:
            seen.append(path)
    return seen
