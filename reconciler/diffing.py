"""Field-level differences between a live document and the desired one, as DeepDiff reports them.

Pure. Lists are compared the way their meaning asks:
- lists of scalars in order, with DeepDiff's difflib (longest common subsequence): an item added or
  removed is reported as `iterable_item_added` / `iterable_item_removed`, never as index-shifted
  `values_changed` pairs. Lists whose order AWS does not keep (policy actions and resources, allowed
  clients, scopes, return URLs, versions) are sorted by their kind's normalization, so they compare
  as sets and a reordering is no change at all;
  An item replaced in place is reported as the old one removed and the new one added (DeepDiff says
  `values_changed` at that index, which for a set would read as a rename);
- lists of objects (policy statements, OpenAPI parameters) without regard to order: DeepDiff would
  otherwise pair them by index (it uses difflib only for hashable items), so one statement inserted
  in the middle would read as every later one changing. A changed object is paired with its closest
  old one and its own changes are reported inside it.
"""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff
from deepdiff.helper import NotPresent

from reconciler.plan import REPORTS, FieldChange


def diff_documents(before: dict[str, Any], after: dict[str, Any]) -> tuple[FieldChange, ...]:
    if _same(before, after):
        return ()  # a no-op plan's common case, where DeepDiff costs the most to say nothing
    tree = DeepDiff(
        before,
        after,
        view="tree",
        ignore_order_func=_unordered,
        threshold_to_diff_deeper=0,
        cutoff_intersection_for_pairs=1.0,
        cutoff_distance_for_pairs=0.5,
    )
    unexpected = set(tree) - set(REPORTS)
    if unexpected:
        raise ValueError(f"unexpected DeepDiff reports {sorted(unexpected)} (documents must be JSON-like)")
    changes = [
        split
        for report in REPORTS
        for level in tree.get(report, [])
        for split in _split_replaced_item(
            FieldChange(tuple(level.path(output_format="list")), report, _value(level.t1), _value(level.t2))
        )
    ]
    return tuple(sorted(changes, key=lambda c: ([str(s) for s in c.path], not c.removed)))


def _same(before: Any, after: Any) -> bool:
    """Equal, and of the same types all the way down (1 == 1.0 == True, but DeepDiff reports type_changes)."""
    if type(before) is not type(after):
        return False
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(_same(v, after[k]) for k, v in before.items())
    if isinstance(before, list):
        return len(before) == len(after) and all(_same(b, a) for b, a in zip(before, after, strict=True))
    return bool(before == after)


def _split_replaced_item(change: FieldChange) -> tuple[FieldChange, ...]:
    if (
        change.report not in ("values_changed", "type_changes")
        or not change.path
        or not isinstance(change.path[-1], int)
    ):
        return (change,)
    return (
        FieldChange(change.path, "iterable_item_removed", change.before, None),
        FieldChange(change.path, "iterable_item_added", None, change.after),
    )


def _unordered(level: Any) -> bool:
    """Lists holding objects are compared as multisets (see the module docstring)."""
    return any(
        isinstance(side, list) and any(isinstance(item, (dict, list)) for item in side) for side in (level.t1, level.t2)
    )


def _value(value: Any) -> Any:
    return None if isinstance(value, NotPresent) else value
