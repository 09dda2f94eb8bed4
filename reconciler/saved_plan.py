"""Saved plans (`plan --out FILE`, `apply FILE`): what was reviewed is what is applied, or nothing.

The file holds the plan itself (each change with its spec, the live resource it was made from and
its dependencies), and fingerprints of what it was computed from: the stack file and the files it
names, the live state of every resource, the tool version. Apply re-reads the same things (one read
pass, as plan does) and refuses a stale plan, naming what changed. Secrets are never written: a
sensitive value is saved as a placeholder and read again from the environment at apply.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, fields, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from reconciler.live import Live, LiveState
from reconciler.plan import Action, FieldChange, Plan, ResourceChange
from reconciler.spec.interpolation import UNKNOWN, Unknown
from reconciler.stack import Stack

PLAN_FILE_VERSION = 1


class StalePlan(RuntimeError):
    """The world moved since the plan was made; the message lists what changed."""


@dataclass(frozen=True)
class Fingerprints:
    tool: str
    files: dict[str, str]
    live: dict[str, str]


def tool_version() -> str:
    try:
        return version("agentcore-stack")
    except PackageNotFoundError:
        return "unknown"


def fingerprints(stack: Stack, live: LiveState) -> Fingerprints:
    """What a plan depends on, as hashes: every file of the stack and every live resource."""
    files = {str(stack.file): _file_hash(stack.file)}
    for decl in stack.resources.values():
        for path in stack.kinds[decl.kind].spec_files(decl.spec, stack.file.parent):
            files[str(path)] = _file_hash(path)
    states = {address: _hash(_encode(live_resource)) for address, live_resource in live.resources.items()}
    states |= {f"removed.{o.live.name}": _hash(_encode(o.live)) for o in live.orphans}
    return Fingerprints(tool_version(), files, states)


def write_plan_file(path: Path, plan: Plan, prints: Fingerprints, *, region: str) -> None:
    document = {
        "plan_file_version": PLAN_FILE_VERSION,
        "tool_version": prints.tool,
        "region": region,
        "files": prints.files,
        "live": prints.live,
        "plan": _encode(plan),
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1)
    os.replace(tmp, path)


def read_plan_file(path: Path) -> tuple[Plan, Fingerprints, str]:
    """The plan, its fingerprints and its region; raises StalePlan for a file this version cannot apply."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StalePlan(f"{path} is not a saved plan ({exc}); make one with `reconcile plan --out {path}`") from exc
    found = document.get("plan_file_version") if isinstance(document, dict) else None
    if found != PLAN_FILE_VERSION:
        raise StalePlan(
            f"{path} is plan file version {found!r}; this reconcile reads version {PLAN_FILE_VERSION}: "
            "plan again with this version"
        )
    prints = Fingerprints(document["tool_version"], document["files"], document["live"])
    return _decode(document["plan"]), prints, document["region"]


def check_fresh(saved: Fingerprints, now: Fingerprints, *, region: str, saved_region: str) -> None:
    reasons = []
    if saved.tool != now.tool:
        reasons.append(f"it was made by reconcile {saved.tool}, this is {now.tool}")
    if saved_region != region:
        reasons.append(f"it was made for region {saved_region}, this run is in {region}")
    for path in sorted(saved.files.keys() | now.files.keys()):
        if saved.files.get(path) != now.files.get(path):
            reasons.append(f"{path} changed")
    for address in sorted(saved.live.keys() | now.live.keys()):
        if saved.live.get(address) != now.live.get(address):
            reasons.append(f"the live state of {address} changed")
    if reasons:
        raise StalePlan("stale plan: " + "; ".join(reasons) + ". Run `reconcile plan --out FILE` again and review it")


def with_secrets(plan: Plan, stack: Stack) -> Plan:
    """Fill the placeholders of sensitive values from the stack as loaded now (from the environment)."""
    changes = []
    for change in plan.changes:
        decl = stack.resources.get(change.address)
        if change.spec is not None and decl is not None:
            secrets = {k: v for k, v in decl.spec.items() if isinstance(v, SecretStr)}
            change = replace(change, spec={**change.spec, **secrets})
        changes.append(change)
    return replace(plan, changes=tuple(changes))


def _encode(value: Any) -> Any:
    if isinstance(value, Unknown):
        return {"$unknown": True}
    if isinstance(value, SecretStr):
        return {"$secret": True}
    if isinstance(value, Plan):
        value = replace(value, diagnostics=())  # a plan with errors is never saved; warnings were shown
    if isinstance(value, (Plan, ResourceChange, Live, FieldChange)):
        return {"$type": type(value).__name__, **{f.name: _encode(getattr(value, f.name)) for f in fields(value)}}
    if isinstance(value, Action):
        return value.value
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, frozenset)):
        return [_encode(v) for v in (sorted(value) if isinstance(value, frozenset) else value)]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot save {type(value).__name__} in a plan file")


TYPES: dict[str, type[Any]] = {t.__name__: t for t in (Plan, ResourceChange, Live, FieldChange)}
TUPLES = {"changes", "replace_paths", "notes", "diagnostics", "path"}
SETS = {"sensitive", "depends_on"}


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("$unknown"):
        return UNKNOWN
    if value.get("$secret"):
        return SecretStr("")
    kind = value.get("$type")
    if kind is None:
        return {k: _decode(v) for k, v in value.items()}
    args = {k: _decode(v) for k, v in value.items() if k != "$type"}
    for name in TUPLES & args.keys():
        args[name] = tuple(tuple(p) if name == "replace_paths" else p for p in args[name])
    for name in SETS & args.keys():
        args[name] = frozenset(args[name])
    if kind == "ResourceChange":
        args["action"] = Action(args["action"])
    return TYPES[kind](**args)


def _hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def _file_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"
