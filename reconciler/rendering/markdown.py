"""The plan as a pull-request comment (and `$GITHUB_STEP_SUMMARY`), from the JSON document only.

A heading naming the stack, its region and the commit planned (and a hidden marker, so a pipeline can find
its comment and edit it in place), the `Plan:` line, what changed outside reconcile since the last apply set
apart (Terraform's "Objects have changed outside of Terraform"; from the drift plan's document), then every destroy
and replace called out, then each resource in a
collapsible `<details>` block holding a ```diff fence (markers in column 0, so GitHub colours them).
The whole stays under GitHub's 65,535-character comment limit: resources that do not fit are cut
whole, with a note, so the markdown is never broken mid-block. Secrets are already redacted in the
document.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from reconciler.rendering.text import VERB, format_resource, summary_line
from reconciler.terminal import printable

LIMIT = 65_535
ORDER = {"delete": 0, "replace": 1, "create": 2, "update": 3, "no-op": 4}
SIGN = {"create": "+", "update": "~", "replace": "-/+", "delete": "-", "no-op": " "}


def format_markdown(
    document: dict[str, Any],
    *,
    limit: int = LIMIT,
    context: dict[str, str | None] | None = None,
    drift: dict[str, Any] | None = None,
) -> str:
    """`context`: `region` and `commit` for the heading (the stack comes from the document); `drift`: the drift
    plan's document (`plan --refresh-only`), whose changes the plan puts back."""
    changes = sorted(
        (rc for rc in document["resource_changes"] if rc["action"] != "no-op"), key=lambda rc: ORDER[rc["action"]]
    )
    head = [*heading(document["stack"], context or {}), f"**{summary_line(document)}**", ""]
    outside = [rc for rc in (drift or {}).get("resource_changes", []) if rc["action"] != "no-op"]
    if outside:
        head += ["> [!NOTE]", "> **Changed outside reconcile since the last apply** (the plan puts them back):"]
        head += [f"> - `{rc['address']}` [{escape(rc['name'])}]{_reason(rc)}" for rc in outside]
        head.append("")
    risky = [rc for rc in changes if rc["action"] in ("delete", "replace")]
    if risky:
        head += ["> [!WARNING]", "> **Destroyed or replaced:**"]
        head += [f"> - `{rc['address']}` ({rc['action']}{_reason(rc)})" for rc in risky]
        head.append("")
    head += [f"- {d['severity']}: {escape(d['summary'])}" for d in document["diagnostics"]]
    text = printable("\n".join(head) + "\n", newlines=True)
    for shown, rc in enumerate(changes):
        block = printable(_block(rc), newlines=True)
        note = _cut_note(len(changes) - shown)
        if len(text) + len(block) + len(note) > limit:
            return text + note
        text += block
    return text


def marker(stack: str) -> str:
    """The hidden line a pipeline finds its plan comment by (one comment per pull request and stack)."""
    return f"<!-- reconcile-plan: {stack} -->"


def heading(stack: str, context: dict[str, str | None]) -> list[str]:
    where = "".join(
        f" {label} `{escape(value)}`"
        for label, value in (("in", context.get("region")), ("at", context.get("commit")))
        if value
    )
    return [marker(stack), f"#### reconcile plan: stack `{escape(stack)}`{where}", ""]


def _block(rc: dict[str, Any]) -> str:
    body = "\n".join(format_resource(rc))
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", body)), default=0))
    summary = f"{SIGN[rc['action']]} <code>{escape(rc['address'])}</code> [{escape(rc['name'])}] {VERB[rc['action']]}"
    return f"\n<details><summary>{summary}</summary>\n\n{fence}diff\n{body}\n{fence}\n\n</details>\n"


def _reason(rc: dict[str, Any]) -> str:
    return f": {rc['action_reason']}" if rc.get("action_reason") else ""


def _cut_note(remaining: int) -> str:
    return (
        f"\n_{remaining} more resource change(s) not shown: the comment would exceed GitHub's limit. "
        "See the full plan (`reconcile plan`, or the JSON plan artifact)._\n"
    )
