"""The plan for people, rendered from the JSON document only (reconciler.rendering.document).

Every line starts with its marker in the first column (`+` added, `-` removed, `~` changed, `-/+`
replaced, a space for context), so a plan pasted into a ```diff block is highlighted the same way.
Documents are shown in full and nested like Terraform shows `jsonencode` values: a create shows the
whole document; an update shows each change in place, with unchanged siblings collapsed into a
count (`--show-unchanged` shows them). Nothing is cut short unless `compact` asks for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import click

from reconciler.secrets import SENSITIVE
from reconciler.terminal import printable

UNKNOWN_TEXT = "(known after apply)"
VERB = {
    "create": "will be created",
    "update": "will be updated in place",
    "replace": "must be replaced",
    "delete": "will be destroyed",
    "no-op": "is up to date",
}
HEADER = {"create": "+", "update": "~", "replace": "-/+", "delete": "-", "no-op": " "}
COLOUR = {"+": "green", "~": "yellow", "-": "red", "-/+": "magenta"}
COMPACT_LIMIT = 100
IDENTITY_KEYS = ("Sid", "name", "operationId")


@dataclass
class _Trie:
    """The field changes of one resource, by path."""

    changes: list[dict[str, Any]] = field(default_factory=list)
    children: dict[Any, _Trie] = field(default_factory=dict)

    @classmethod
    def of(cls, fields: list[dict[str, Any]]) -> _Trie:
        root = cls()
        for f in fields:
            node = root
            for step in f["path"]:
                node = node.children.setdefault(step, cls())
            node.changes.append(f)
        return root


@dataclass
class _Lines:
    show_unchanged: bool
    compact: bool
    out: list[tuple[str, str]] = field(default_factory=list)

    def add(self, marker: str, depth: int, text: str) -> None:
        self.out.append((marker, "  " * depth + printable(text)))

    def value(self, marker: str, depth: int, label: str, value: Any, unknown: Any = None) -> None:
        """`label: value`, a container spread over lines (inline when compact)."""
        head = f"{label}: " if label else ""
        if unknown is True:
            self.add(marker, depth, head + UNKNOWN_TEXT)
        elif not isinstance(value, (dict, list)) or not value or (unknown is None and (self.compact or _inline(value))):
            self.add(marker, depth, head + _scalar(value, self.compact))
        elif isinstance(value, dict):
            self.add(marker, depth, head + "{")
            for key, item in value.items():
                self.value(marker, depth + 1, _key(key), item, _at(unknown, key))
            self.add(marker, depth, "}")
        else:
            self.add(marker, depth, head + "[")
            for i, item in enumerate(value):
                self.value(marker, depth + 1, "", item, _at(unknown, i))
            self.add(marker, depth, "]")


def format_text(
    document: dict[str, Any], *, show_unchanged: bool = False, compact: bool = False, colour: bool = False
) -> str:
    lines = _Lines(show_unchanged=show_unchanged, compact=compact)
    for rc in document["resource_changes"]:
        if rc["action"] == "no-op" and not show_unchanged and not rc["action_reason"]:
            continue  # shown only when something is said about it (drift)
        _resource(lines, rc)
    text = [_paint(m, t, colour) for m, t in lines.out]
    text.append(printable(summary_line(document)))
    return "\n".join(text)


def summary_line(document: dict[str, Any]) -> str:
    s = document["summary"]
    if not any(s.values()):
        return "No changes. The live stack matches the spec."
    return f"Plan: {s['add']} to add, {s['change']} to change, {s['replace']} to replace, {s['destroy']} to destroy."


def format_resource(rc: dict[str, Any], *, show_unchanged: bool = False, compact: bool = False) -> list[str]:
    """One resource change's lines, uncoloured (the markdown renderer puts them in a diff block)."""
    lines = _Lines(show_unchanged=show_unchanged, compact=compact)
    _resource(lines, rc)
    return [_paint(m, t, False) for m, t in lines.out]


def _resource(lines: _Lines, rc: dict[str, Any]) -> None:
    action, change = rc["action"], rc["change"]
    reason = f" ({rc['action_reason']})" if action != "create" and rc["action_reason"] else ""
    lines.add(HEADER[action], 0, f"{rc['address']} [{rc['name']}] {VERB[action]}{reason}")
    if action == "create":
        for key, value in (change["after"] or {}).items():
            unknown = change["after_unknown"].get(key)
            if value not in (None, "", [], {}) or unknown:
                lines.value("+", 2, _key(key), value, unknown)
    elif action in ("update", "replace"):
        _dict(lines, change["before"], change["after"], _Trie.of(change["fields"]), 2, change["replace_paths"], [])
    for note in rc["notes"]:
        lines.add(" ", 2, f"# note: {note}")


def _dict(lines: _Lines, before: Any, after: Any, trie: _Trie, depth: int, forcing: list[Any], path: list[Any]) -> None:
    before, after = before if isinstance(before, dict) else {}, after if isinstance(after, dict) else {}
    keys = (
        list(after)
        + [k for k in before if k not in after]
        + [k for k in trie.children if k not in after and k not in before]
    )
    hidden = 0
    for key in keys:
        child = trie.children.get(key)
        if child is not None:
            _entry(lines, _key(key), before.get(key), after.get(key), child, depth, forcing, path + [key])
        elif lines.show_unchanged:
            lines.value(" ", depth, _key(key), after.get(key, before.get(key)))
        else:
            hidden += 1
    _hidden(lines, depth, hidden, "attribute")


def _list(lines: _Lines, before: Any, trie: _Trie, depth: int, forcing: list[Any], path: list[Any]) -> None:
    """Children are indexes: of the old list for removed and changed items, of the new one for added."""
    before = before if isinstance(before, list) else []
    touched = set()
    for index in sorted(trie.children, key=lambda i: (i, 0)):
        child = trie.children[index]
        for f in child.changes:
            _field(lines, "", f, depth, forcing, path + [index])
            if f["report"] != "iterable_item_added":
                touched.add(index)
        if child.children:
            touched.add(index)
            item = before[index] if index < len(before) else None
            _container(lines, "", item, None, child, depth, forcing, path + [index])
    if lines.show_unchanged:
        for i, item in enumerate(before):
            if i not in touched:
                lines.value(" ", depth, "", item)
    else:
        _hidden(lines, depth, len(before) - len(touched), "element")


def _entry(
    lines: _Lines, label: str, before: Any, after: Any, trie: _Trie, depth: int, forcing: list[Any], path: list[Any]
) -> None:
    for f in trie.changes:
        _field(lines, label, f, depth, forcing, path)
    if trie.children:
        _container(lines, label, before, after, trie, depth, forcing, path)


def _container(
    lines: _Lines, label: str, before: Any, after: Any, trie: _Trie, depth: int, forcing: list[Any], path: list[Any]
) -> None:
    head = f"{label}: " if label else ""
    mark = _forces(path, forcing)
    if isinstance(before if before is not None else after, list):
        lines.add("~", depth, f"{head}[{mark}")
        _list(lines, before, trie, depth + 1, forcing, path)
        lines.add(" ", depth, "]")
    else:
        lines.add("~", depth, f"{head}{{{mark}{_identity(before) if not label else ''}")
        _dict(lines, before, after, trie, depth + 1, forcing, path)
        lines.add(" ", depth, "}")


def _field(lines: _Lines, label: str, f: dict[str, Any], depth: int, forcing: list[Any], path: list[Any]) -> None:
    mark = _forces(path, forcing)
    unknown = f.get("after_unknown")
    if f["report"] in ("dictionary_item_added", "iterable_item_added"):
        lines.value("+", depth, label, f["after"], unknown)
    elif f["report"] in ("dictionary_item_removed", "iterable_item_removed"):
        lines.value("-", depth, label, f["before"])
    elif SENSITIVE in (f["before"], f["after"]):
        lines.add("~", depth, f"{label}: (sensitive value changed){mark}")
    elif unknown is True and isinstance(f["before"], (dict, list)) and f["before"]:
        # Terraform's `~ x = { ... } -> (known after apply)`: the old value one entry per line (each entry
        # shortened as in compact output), not one line of hundreds of characters.
        before = f["before"]
        entries = before.items() if isinstance(before, dict) else ((None, item) for item in before)
        lines.add("~", depth, f"{label}: " + ("{" if isinstance(before, dict) else "["))
        for key, item in entries:
            lines.add(" ", depth + 1, (f"{_key(key)}: " if key is not None else "") + _scalar(item, True))
        lines.add(" ", depth, ("}" if isinstance(before, dict) else "]") + f" -> {UNKNOWN_TEXT}{mark}")
    elif unknown is not True and (isinstance(f["before"], (dict, list)) or isinstance(f["after"], (dict, list))):
        lines.value("-", depth, label, f["before"])
        lines.value("+", depth, label, f["after"], unknown)
    else:
        after = UNKNOWN_TEXT if unknown is True else _scalar(f["after"], lines.compact)
        lines.add("~", depth, f"{label}: {_scalar(f['before'], lines.compact)} -> {after}{mark}")


def _identity(item: Any) -> str:
    """Which element of a list changed, for people: its Sid, name or operationId, if it has one."""
    key = next((k for k in IDENTITY_KEYS if isinstance(item, dict) and isinstance(item.get(k), str)), None)
    return f"  # {key}: {json.dumps(item[key])}" if key else ""


def _hidden(lines: _Lines, depth: int, count: int, noun: str) -> None:
    if count > 0:
        lines.add(" ", depth, f"# ({count} unchanged {noun}{'' if count == 1 else 's'} hidden)")


def _forces(path: list[Any], forcing: list[Any]) -> str:
    return "  # forces replacement" if any(path[: len(f)] == f for f in forcing) else ""


def _inline(value: Any) -> bool:
    """Short lists of scalars stay on one line."""
    return (
        isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value) and len(json.dumps(value)) <= 60
    )


def _scalar(value: Any, compact: bool) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text[: COMPACT_LIMIT - 1] + "…" if compact and len(text) > COMPACT_LIMIT else text


def _key(key: Any) -> str:
    text = str(key)
    return text if text and all(ch.isalnum() or ch in "_-" for ch in text) else json.dumps(text)


def _at(unknown: Any, step: Any) -> Any:
    if isinstance(unknown, dict):
        return unknown.get(step)
    if isinstance(unknown, list) and isinstance(step, int) and step < len(unknown):
        return unknown[step]
    return None


def _paint(marker: str, text: str, colour: bool) -> str:
    line = f"{marker} {text}" if marker != "-/+" else f"-/+ {text}"
    if not colour or marker not in COLOUR:
        return line.rstrip()
    return click.style(marker, fg=COLOUR[marker], bold=True) + click.style(line[len(marker) :], fg=COLOUR[marker])
