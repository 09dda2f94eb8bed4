"""Saved plans (`plan --out FILE`, `apply FILE`): a promise, not a program.

The file holds the plan as reviewed (each change with its spec, the live resource it was made from and its
dependencies), how it was asked for (destroy or not, --target, --replace), what it did not compare (secrets
whose variable was unset), and fingerprints of what it was computed from: the stack file and the files it
names (by their place relative to the stack file, so another checkout of the same commit is the same plan),
the live state of every resource, the tool version.

`apply FILE` never runs the file's changes. It plans again from the stack and the live state as they are at
apply time and applies that plan only if it equals the saved one (`verified_plan`); otherwise it refuses,
naming what differs. A file edited to add a delete, widen a policy or change a target is refused, and
whatever was written into it is never sent to AWS. Secrets are never written (a placeholder stands for each,
and every value from a sensitive source is redacted, reconciler.secrets): `apply FILE` reads them from the
environment and compares them, so a rotated secret is applied if the plan said so and refused as stale if
the plan did not compare it, never dropped.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field, fields, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr

from reconciler.diffing import diff_documents
from reconciler.live import Live, LiveState
from reconciler.plan import Action, FieldChange, Plan, ResourceChange
from reconciler.planning import plan_changes, plan_destroy
from reconciler.secrets import fingerprint_matches, redact_value
from reconciler.spec.interpolation import UNKNOWN, Unknown
from reconciler.stack import Stack

PLAN_FILE_VERSION = 2
Mode = Literal["apply", "destroy"]
Verdict = Literal["changed", "unchanged", "not compared"]


class StalePlan(RuntimeError):
    """The world moved since the plan was made, or the file is not the plan that was made; the message
    lists what differs."""


@dataclass(frozen=True)
class Fingerprints:
    tool: str
    files: dict[str, str]
    live: dict[str, str]


@dataclass(frozen=True)
class SavedPlan:
    """A plan file as read: the plan, how it was asked for, and what it was computed from."""

    plan: Plan
    prints: Fingerprints
    region: str
    mode: Mode = "apply"
    targets: frozenset[str] = frozenset()
    forced: frozenset[str] = frozenset()
    secrets: dict[str, Verdict] = field(default_factory=dict)
    """`address.field` -> what the plan knew of that secret (its variable unset: "not compared")."""


def tool_version() -> str:
    try:
        return version("agentcore-stack")
    except PackageNotFoundError:
        return "unknown"


def fingerprints(stack: Stack, live: LiveState) -> Fingerprints:
    """What a plan depends on, as hashes: every file of the stack and every live resource."""
    base = stack.file.parent.resolve()
    paths = [stack.file] + [
        path
        for decl in stack.resources.values()
        for path in stack.kinds[decl.kind].spec_files(decl.spec, stack.file.parent)
    ]
    files = {_portable(path, base): _file_hash(path) for path in paths}
    states = {address: _hash(_encode(live_resource)) for address, live_resource in live.resources.items()}
    states |= {f"removed.{o.live.name}": _hash(_encode(o.live)) for o in live.orphans}
    return Fingerprints(tool_version(), files, states)


def secret_verdicts(plan: Plan) -> dict[str, Verdict]:
    """For each sensitive field of each change: whether the plan found it changed, unchanged or could not tell."""
    verdicts: dict[str, Verdict] = {}
    for change in plan.changes:
        if change.action is Action.DELETE:
            continue
        for name in sorted(change.sensitive):
            changed = any(c.path[:1] == (name,) for c in change.changes) or change.action is Action.CREATE
            verdict: Verdict = "not compared" if name in change.not_compared else "changed" if changed else "unchanged"
            verdicts[f"{change.address}.{name}"] = verdict
    return verdicts


def write_plan_file(
    path: Path,
    plan: Plan,
    prints: Fingerprints,
    *,
    region: str,
    mode: Mode = "apply",
    targets: frozenset[str] = frozenset(),
    forced: frozenset[str] = frozenset(),
) -> None:
    document = {
        "plan_file_version": PLAN_FILE_VERSION,
        "tool_version": prints.tool,
        "region": region,
        "mode": mode,
        "targets": sorted(targets),
        "forced": sorted(forced),
        "secrets": secret_verdicts(plan),
        "files": prints.files,
        "live": prints.live,
        "plan": redact_value(_encode(plan)),
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1)
    os.replace(tmp, path)


def read_plan_file(path: Path) -> SavedPlan:
    """Raises StalePlan for a file this version cannot read."""
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
    try:
        return SavedPlan(
            plan=_decode(document["plan"]),
            prints=Fingerprints(document["tool_version"], document["files"], document["live"]),
            region=document["region"],
            mode=document["mode"],
            targets=frozenset(document["targets"]),
            forced=frozenset(document["forced"]),
            secrets=dict(document["secrets"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StalePlan(f"{path} is not a saved plan this reconcile can read ({type(exc).__name__}: {exc})") from exc


def verified_plan(saved: SavedPlan, stack: Stack, live: LiveState, *, region: str) -> Plan:
    """The plan to apply: made again from `stack` and `live` as they are now, and returned only when it is the
    saved one. Raises StalePlan naming what differs. Pure."""
    check_fresh(saved.prints, fingerprints(stack, live), region=region, saved_region=saved.region)
    if saved.mode == "destroy":
        now = plan_destroy(stack, live)
    else:
        now = plan_changes(stack, live, targets=saved.targets, forced=saved.forced)
    _check_secrets(saved, now, stack)
    differences = plan_differences(saved.plan, now)
    if differences:
        raise StalePlan(
            "the saved plan is not what a plan made now would do: "
            + "; ".join(differences)
            + ". Nothing was changed. Run `reconcile plan --out FILE` again and review it"
        )
    return now


def check_fresh(saved: Fingerprints, now: Fingerprints, *, region: str, saved_region: str) -> None:
    reasons = []
    if saved.tool != now.tool:
        reasons.append(f"it was made by reconcile {saved.tool}, this is {now.tool}")
    if saved_region != region:
        reasons.append(f"it was made for region {saved_region}, this run is in {region}")
    changed = [
        path for path in sorted(saved.files.keys() | now.files.keys()) if saved.files.get(path) != now.files.get(path)
    ]
    reasons += [f"{path} changed" for path in changed[:10]]
    if len(changed) > 10:
        reasons.append(f"and {len(changed) - 10} more files changed")
    for address in sorted(saved.live.keys() | now.live.keys()):
        if saved.live.get(address) != now.live.get(address):
            reasons.append(f"the live state of {address} changed")
    if reasons:
        raise StalePlan("stale plan: " + "; ".join(reasons) + ". Run `reconcile plan --out FILE` again and review it")


def plan_differences(saved: Plan, now: Plan) -> list[str]:
    """What differs between two plans, per address, in what apply acts on (not the notes and reasons for
    people); sensitive values and local build paths are left out of the comparison."""
    before, after = _comparable(saved), _comparable(now)
    found = []
    for address in list(before) + [a for a in after if a not in before]:
        old, new = before.get(address), after.get(address)
        if old is None or new is None:
            action = (old or new or {}).get("action")
            where = "the saved plan" if new is None else "a plan made now"
            found.append(f"{address}: only {where} has it ({action})")
        elif old["action"] != new["action"]:
            found.append(f"{address}: the saved plan would {old['action']} it, a plan made now would {new['action']}")
        elif old != new:
            paths = sorted({_dotted(c.path) for c in diff_documents(old, new)})
            found.append(f"{address}: {', '.join(paths[:5])} differ{'s' if len(paths) == 1 else ''}")
    return found


def _check_secrets(saved: SavedPlan, now: Plan, stack: Stack) -> None:
    """A secret the saved plan did not compare, or compared to another value, makes it stale: never dropped."""
    problems = []
    for key, verdict in sorted(saved.secrets.items()):
        address, _, name = key.rpartition(".")
        change = next((c for c in now.changes if c.address == address), None)
        if change is None:
            continue  # the whole change differs: plan_differences says so
        changed = any(c.path[:1] == (name,) for c in change.changes)  # a create sets it: nothing to drop
        if verdict == "not compared" and changed:
            problems.append(
                f"{key} differs from what was last applied (rotated?), and the saved plan did not compare it "
                "(it was made without the secret): plan again with the secret set, and review it"
            )
        elif verdict == "unchanged" and changed:
            problems.append(f"{key} has changed since the plan was made")
        elif verdict == "changed" and (changed or change.action is Action.CREATE):
            if not _same_secret(saved.plan, change, name, stack):
                problems.append(f"{key} is not the value the plan was made with")
        elif verdict == "changed":
            problems.append(f"{key} no longer differs from what is applied: the rotation was applied since")
    if problems:
        raise StalePlan("stale plan: " + "; ".join(problems) + ". Nothing was changed")


def _same_secret(saved: Plan, change: ResourceChange, name: str, stack: Stack) -> bool:
    """The secret now is the one the plan saw: its fingerprint in the saved plan's `after` matches it."""
    planned = next((c for c in saved.changes if c.address == change.address), None)
    decl = stack.resources.get(change.address)
    value = decl.spec.get(name) if decl else None
    recorded = (planned.after or {}).get(name) if planned else None
    if not isinstance(value, SecretStr) or not isinstance(recorded, str):
        return False
    return fingerprint_matches(value.get_secret_value(), recorded, stack=stack.name, resource=change.name)


def _comparable(plan: Plan) -> dict[str, dict[str, Any]]:
    found = {}
    for change in plan.changes:
        hidden = change.sensitive
        encoded = {
            "action": change.action.value,
            "kind": change.kind,
            "name": change.name,
            "before": _masked(change.before, hidden),
            "after": _masked(change.after, hidden),
            "changes": [_encode(c) for c in change.changes if not (c.path and c.path[0] in hidden)],
            "replace_paths": [list(p) for p in change.replace_paths],
            "spec": _local_paths_dropped(_masked(change.spec, hidden)),
            "current": _masked(_encode(change.current), hidden),
            "depends_on": sorted(change.depends_on),
        }
        found[change.address] = redact_value(_encode(encoded))
    return found


def _masked(value: Any, hidden: frozenset[str]) -> Any:
    """Sensitive top-level fields (and those of a live resource's document) as one marker: their values are
    compared by `_check_secrets`, and a fingerprint with a fresh salt differs every time it is made."""
    if not isinstance(value, dict):
        return value
    masked = {k: ("(sensitive)" if k in hidden else v) for k, v in value.items()}
    if isinstance(masked.get("document"), dict):
        masked["document"] = _masked(masked["document"], hidden)
    return masked


def _local_paths_dropped(value: Any) -> Any:
    """A built artifact is its content (`sha256`): where this machine keeps it is no part of the plan."""
    if isinstance(value, dict):
        return {k: _local_paths_dropped(v) for k, v in value.items() if not (k == "path" and "sha256" in value)}
    if isinstance(value, list):
        return [_local_paths_dropped(v) for v in value]
    return value


def _dotted(path: tuple[Any, ...]) -> str:
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path).lstrip(".") or "(whole)"


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
SETS = {"sensitive", "depends_on", "not_compared"}


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


def _portable(path: Path, base: Path) -> str:
    """A file's name relative to the stack file's folder, '/'-separated: the same in every checkout."""
    return Path(os.path.relpath(path.resolve(), base)).as_posix()


def _hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def _file_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"
