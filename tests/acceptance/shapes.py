"""The shape of AWS answers (keys and value types, never values) per operation, and the fidelity report that
compares two endpoints' shapes for the same calls: what AWS returned that the sandbox lacks, and the reverse.

A shape is a set of paths: `items[].gatewayId: str`, `status: str`, `tags: {}` (a map's keys are data, not
fields: `tags{}: str`). Recorded through botocore's `after-call` event on every session reconciler.aws makes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

MAPS = frozenset({"tags", "Tags", "environmentVariables", "EnvironmentVariables", "customParameters"})
"""Members whose keys are the user's data: their values' types are recorded, not their keys."""


def paths(value: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        if prefix.rsplit(".", 1)[-1] in MAPS:
            for item in value.values():
                yield from paths(item, f"{prefix}{{}}")
            return
        for key, item in value.items():
            if key != "ResponseMetadata":
                yield from paths(item, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        yield f"{prefix}: list"
        for item in value:
            yield from paths(item, f"{prefix}[]")
    else:
        yield f"{prefix or '(body)'}: {type(value).__name__}"


class ShapeRecorder:
    """operation (`service:Operation`) -> the union of its answers' paths; thread-safe (reads run in parallel)."""

    def __init__(self) -> None:
        self.shapes: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def __call__(self, *, model: Any, parsed: Any, **_: Any) -> None:
        found = set(paths(parsed)) if isinstance(parsed, dict) else set()
        key = f"{model.service_model.service_name}:{model.name}"
        with self._lock:
            self.shapes.setdefault(key, set()).update(found)

    def as_json(self) -> dict[str, list[str]]:
        with self._lock:
            return {op: sorted(found) for op, found in sorted(self.shapes.items())}


def fidelity_report(aws: dict[str, list[str]], sandbox: dict[str, list[str]]) -> str:
    """Markdown: per operation, the paths only one side returned (an error answer records no paths)."""
    lines = ["# Fidelity: AWS's answers against the sandbox's, for the same calls", ""]
    for op in sorted(set(aws) | set(sandbox)):
        if op not in sandbox or op not in aws:
            lines.append(f"- `{op}`: called only against {'AWS' if op in aws else 'the sandbox'}")
            continue
        only_aws, only_sandbox = sorted(set(aws[op]) - set(sandbox[op])), sorted(set(sandbox[op]) - set(aws[op]))
        if only_aws or only_sandbox:
            lines.append(f"- `{op}`")
            lines += [f"  - AWS only: `{p}`" for p in only_aws]
            lines += [f"  - sandbox only: `{p}`" for p in only_sandbox]
    if len(lines) == 2:
        lines.append("Every operation answered with the same shape.")
    return "\n".join(lines) + "\n"
