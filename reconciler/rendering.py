"""Renderers. `plan_document` is the one versioned machine form (shaped like Terraform's
`resource_changes`); the text renderer reads only that, so JSON and text cannot disagree."""

from __future__ import annotations

import json
from typing import Any

from reconciler.plan import Action, Plan
from reconciler.secrets import SENSITIVE
from reconciler.spec.interpolation import Unknown

FORMAT_VERSION = "1.0"
SYMBOL = {"create": "+", "update": "~", "replace": "-/+", "delete": "-", "no-op": " "}
VERB = {
    "create": "will be created",
    "update": "will be updated in place",
    "replace": "must be replaced",
    "delete": "will be destroyed",
    "no-op": "is up to date",
}


def plan_document(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "stack": plan.stack,
        "resource_changes": [
            {
                "address": f"{c.kind}.{c.address}",
                "type": c.kind,
                "name": c.name,
                "action": c.action.value,
                "change": {
                    "actions": c.action.json_actions,
                    "before": _public(c.before, c.sensitive),
                    "after": _public(c.after, c.sensitive),
                    "before_sensitive": {k: True for k in c.sensitive} if c.before else {},
                    "after_sensitive": {k: True for k in c.sensitive} if c.after else {},
                    "changed_paths": [list(p) for p in c.changed],
                    "replace_paths": [list(p) for p in c.replace_paths],
                },
                "action_reason": c.reason or None,
                "notes": list(c.notes),
            }
            for c in plan.changes
        ],
        "summary": summary_counts(plan),
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


def summary_counts(plan: Plan) -> dict[str, int]:
    return {
        "add": plan.count(Action.CREATE),
        "change": plan.count(Action.UPDATE),
        "replace": plan.count(Action.REPLACE),
        "destroy": plan.count(Action.DELETE),
    }


def format_json(plan: Plan) -> str:
    return json.dumps(plan_document(plan), indent=2, default=_jsonable)


def format_text(plan: Plan, *, show_unchanged: bool = False) -> str:
    doc = json.loads(format_json(plan))
    lines: list[str] = []
    for rc in doc["resource_changes"]:
        if rc["action"] == "no-op" and not show_unchanged:
            continue
        reason = f" ({rc['action_reason']})" if rc["action"] in ("replace", "delete") and rc["action_reason"] else ""
        lines.append(f"  {SYMBOL[rc['action']]} {rc['address']} [{rc['name']}] {VERB[rc['action']]}{reason}")
        lines.extend(_field_lines(rc))
        lines.extend(f"      note: {n}" for n in rc["notes"])
    s = doc["summary"]
    if not any(s.values()):
        lines.append("No changes. The live stack matches the spec.")
    else:
        lines.append(
            f"Plan: {s['add']} to add, {s['change']} to change, {s['replace']} to replace, {s['destroy']} to destroy."
        )
    return "\n".join(lines)


def _field_lines(rc: dict[str, Any]) -> list[str]:
    change = rc["change"]
    if rc["action"] == "create":
        return [f"      + {k}: {_short(v)}" for k, v in (change["after"] or {}).items() if v not in (None, "", [], {})]
    if rc["action"] not in ("update", "replace"):
        return []
    forcing = change["replace_paths"]
    out = []
    for path in change["changed_paths"]:
        before, after = _at(change["before"], path), _at(change["after"], path)
        mark = "  # forces replacement" if any(path[: len(f)] == f for f in forcing) else ""
        values = "(sensitive value changed)" if SENSITIVE in (before, after) else f"{_short(before)} -> {_short(after)}"
        out.append(f"      ~ {format_path(path)}: {values}{mark}")
    return out


def format_path(path: list[str | int]) -> str:
    """Steps for people: `openapi.paths["/repos.json"].get`, `Statement[0].Action`."""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif step and all(ch.isalnum() or ch in "_-" for ch in step):
            text += f".{step}" if text else step
        else:
            text += f"[{json.dumps(step)}]"
    return text


def _at(doc: Any, path: list[str | int]) -> Any:
    """The value at `path`, or None where the document has no such place."""
    value = doc
    for step in path:
        if isinstance(value, dict) and step in value:
            value = value[step]
        elif isinstance(value, list) and isinstance(step, int) and step < len(value):
            value = value[step]
        else:
            return None
    return value


def _public(doc: dict[str, Any] | None, sensitive: frozenset[str]) -> dict[str, Any] | None:
    if doc is None:
        return None
    return {k: (SENSITIVE if k in sensitive else v) for k, v in doc.items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Unknown):
        return "(known after apply)"
    raise TypeError(f"cannot render {type(value).__name__}")


def _short(value: Any, limit: int = 100) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=_jsonable)
    return text if len(text) <= limit else text[: limit - 1] + "…"
