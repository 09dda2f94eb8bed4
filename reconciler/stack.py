"""Load stack.yaml into a validated `Stack`, or raise `DiagnosticsError` listing every problem
with its file, line and key. Makes no AWS call: all of it runs before the first one.

Above the kinds (each kind brings its spec model and files) and above `spec/` (expressions, YAML
with line numbers, OpenAPI checks)."""

from __future__ import annotations

import graphlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reconciler.diagnostics import Diagnostic, DiagnosticsError
from reconciler.kinds import Kinds, all_kinds
from reconciler.kinds.base import HAND_OFF, ResourceSpec
from reconciler.spec.interpolation import (
    ENV,
    EXPRESSION,
    STACK,
    InterpolationError,
    Ref,
    references_in,
    substitute_load_time,
    substitute_stack,
    unset_secret,
)
from reconciler.spec.yaml_lines import Path as KeyPath
from reconciler.spec.yaml_lines import YamlError, line_of, load_with_lines, read_text, unreadable

LOGICAL_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


class StackHeader(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stack: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=24)
    region: str | None = None
    variables: dict[str, str] = {}
    resources: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class ResourceDecl:
    logical: str
    kind: str
    name: str
    spec: dict[str, Any]
    """Validated spec as a dict; `${resource.attr}` references still unresolved."""
    depends_on: frozenset[str]


@dataclass(frozen=True)
class Stack:
    name: str
    region: str | None
    file: Path
    resources: dict[str, ResourceDecl]
    kinds: Kinds = field(default_factory=dict, compare=False, repr=False)
    """The registry the stack was loaded with: what reading, planning and saved plans ask about each kind."""

    def order(self) -> list[str]:
        """Dependencies first."""
        return list(graphlib.TopologicalSorter({k: r.depends_on for k, r in self.resources.items()}).static_order())


class _Collector:
    def __init__(
        self,
        file: Path,
        lines: dict[KeyPath, int],
        kinds: Kinds,
        *,
        lenient: bool = False,
        secrets_optional: bool = False,
    ):
        self.file, self.lines, self.kinds, self.found = file, lines, kinds, []  # type: ignore[var-annotated]
        self.lenient, self.secrets_optional = lenient, secrets_optional
        self.models: dict[str, ResourceSpec] = {}
        """The validated spec of each resource whose files loaded, for `Kind.build`."""
        self.sensitive: frozenset[str] = frozenset()
        """The sensitive fields of the resource being interpolated (its kind's `sensitive`)."""
        self.stack: str | None = None
        """The stack's name, once the header is read (`${stack.name}`)."""

    def add(self, summary: str, path: KeyPath, detail: str = "") -> None:
        self.found.append(
            Diagnostic(summary, detail, file=str(self.file), line=line_of(self.lines, path), key=_key(path))
        )

    def reported(self, path: KeyPath) -> bool:
        """Whether a problem was already found at `path`."""
        return any(d.key == _key(path) for d in self.found)


def _key(path: KeyPath) -> str | None:
    """A diagnostic's key: the path dotted (`resources.gateway.authorizer`)."""
    return ".".join(str(p) for p in path) or None


def load_stack(
    path: Path,
    environ: Mapping[str, str] | None = None,
    *,
    lenient: bool = False,
    secrets_optional: bool = False,
    build: bool = True,
    kinds: Kinds | None = None,
) -> Stack:
    """`lenient` (destroy): unset environment variables and invalid values are tolerated, since only
    names, kinds and references are needed to find and delete resources. `secrets_optional` (plan):
    a sensitive field whose environment variable is unset (a pull request from a fork has no secrets)
    becomes `unset_secret(NAME)`, which the plan shows as not compared; apply loads strictly. `build` (plan,
    apply): also build what the kinds deploy from the files (`Kind.build`: the packaged server); validate,
    destroy and the commands that only read AWS pass False and build nothing. `kinds`: the registry (the
    engine's; every kind by default), kept on the Stack."""
    kinds = kinds if kinds is not None else all_kinds()
    try:
        text = read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise DiagnosticsError(
            [
                Diagnostic(
                    f"cannot read {path}: {unreadable(exc)}", "pass the stack file with --stack FILE", file=str(path)
                )
            ]
        ) from exc
    try:
        raw, lines = load_with_lines(text)
    except YamlError as exc:
        raise DiagnosticsError(
            [
                Diagnostic(
                    f"{path} is not valid YAML: {exc}", "fix the syntax at that line", file=str(path), line=exc.line
                )
            ]
        ) from exc
    out = _Collector(path, lines, kinds, lenient=lenient, secrets_optional=secrets_optional)
    if not isinstance(raw, dict):
        out.add("stack file must be a mapping with `stack:` and `resources:`", ())
        raise DiagnosticsError(out.found)
    header = _validated(StackHeader, raw, (), out)
    if header is None:
        raise DiagnosticsError(out.found)
    out.stack = header.stack
    variables = {k: _substitute(v, {}, environ, ("variables", k), out) for k, v in header.variables.items()}
    decls, bodies = {}, {}
    for logical, body in header.resources.items():
        kind = kinds.get(str(body.get("kind"))) if isinstance(body, dict) else None
        out.sensitive = kind.sensitive if kind else frozenset()
        bodies[logical] = _interpolate(body, variables, environ, ("resources", logical), out)
        decl = _resource(logical, bodies[logical], header.stack, path.parent, out)
        if decl is not None:
            decls[logical] = decl
    _check_references(decls, bodies, out)
    if not out.found and not lenient:
        _check_across(decls, out)
    if out.found:
        raise DiagnosticsError(out.found)
    if build:
        decls = _built(decls, out.models, path.parent, kinds)
    return Stack(name=header.stack, region=header.region, file=path, resources=decls, kinds=kinds)


def _built(
    decls: dict[str, ResourceDecl], models: dict[str, ResourceSpec], base_dir: Path, kinds: Kinds
) -> dict[str, ResourceDecl]:
    """Each resource with what its kind builds from the files, once the whole stack is valid."""
    problems: list[Diagnostic] = []
    for logical, decl in decls.items():
        built, found = kinds[decl.kind].build(models[logical], base_dir)
        problems += found
        if built:
            decls[logical] = replace(decl, spec={**decl.spec, **built})
    if problems:
        raise DiagnosticsError(problems)
    return decls


def _validated(model: type[BaseModel], data: Any, base: KeyPath, out: _Collector) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = base + tuple(err["loc"])
            out.add(_explain(err, model), loc, _advice(err))
        return None


def _tolerated(model: type[ResourceSpec], data: dict[str, Any]) -> ResourceSpec:
    try:
        return model.model_validate(data)
    except ValidationError:
        return model.model_construct(**data)


def _explain(err: Any, model: type[BaseModel]) -> str:
    key = err["loc"][-1] if err["loc"] else ""
    if err["type"] == "extra_forbidden":
        return f"unknown key {key!r}"
    if err["type"] == "missing":
        return f"missing required key {key!r}"
    return f"invalid value for {key!r}: {err['msg']}" if key != "" else err["msg"]


def _advice(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "remove it or fix its spelling; the README lists the keys each kind takes"
    if err["type"] == "missing":
        return "add it; the README lists the keys each kind takes"
    return "change the value as described; the README shows a working example"


def _substitute(
    value: str, variables: dict[str, str], environ: Mapping[str, str] | None, path: KeyPath, out: _Collector
) -> str:
    try:
        return substitute_load_time(value, variables, environ, out.stack)
    except InterpolationError as exc:
        if out.secrets_optional and len(path) == 3 and path[2] in out.sensitive and exc.variable:
            return unset_secret(exc.variable)
        if not out.lenient:
            out.add(str(exc).split(";")[0], path, str(exc).split(";", 1)[-1].strip())
        return value if out.stack is None else substitute_stack(value, out.stack, strict=False)


def _interpolate(
    value: Any, variables: dict[str, str], environ: Mapping[str, str] | None, path: KeyPath, out: _Collector
) -> Any:
    if isinstance(value, str):
        return _substitute(value, variables, environ, path, out)
    if isinstance(value, dict):
        return {k: _interpolate(v, variables, environ, path + (k,), out) for k, v in value.items()}
    if isinstance(value, list):
        items = [_interpolate(v, variables, environ, path + (i,), out) for i, v in enumerate(value)]
        for i, (raw, item) in enumerate(zip(value, items, strict=True)):
            if isinstance(raw, str) and "${" in raw and item == "" and not out.lenient:
                out.add(f"list item {raw!r} is empty", path + (i,), _empty_item_advice(raw))
        return items
    return value


def _empty_item_advice(raw: str) -> str:
    """An empty item is never dropped silently: the list would mean something else (a wider audience)."""
    names = [m.group(1) for e in EXPRESSION.finditer(raw) if (m := ENV.match(e.group(1).strip()))]
    cause = f"environment variable {', '.join(names)} is unset or empty" if names else "the expression is empty"
    return (
        f"{cause}; set it, or remove the item. A list that may be empty can come whole from a comma-separated "
        "variable instead: `allowed_clients: ${env:OIDC_CLIENT_IDS:-}`"
    )


def _resource(logical: str, body: Any, stack: str, base_dir: Path, out: _Collector) -> ResourceDecl | None:
    where: KeyPath = ("resources", logical)
    if not LOGICAL_NAME.fullmatch(logical):
        out.add(
            f"resource name {logical!r} is not allowed",
            where,
            "use lower-case letters, digits and _ (it is used in ${name.attr} references)",
        )
    elif logical == STACK:
        out.add(
            f"resource name {logical!r} is taken",
            where,
            "${stack.name} and ${stack.identifier} are the stack's own names: choose another name for this resource",
        )
    if not isinstance(body, dict) or "kind" not in body:
        out.add(f"resource {logical!r} has no `kind`", where, f"add `kind:` with one of {', '.join(out.kinds)}")
        return None
    kind = out.kinds.get(str(body["kind"]))
    if kind is None:
        out.add(f"unknown kind {body['kind']!r}", where + ("kind",), f"use one of {', '.join(out.kinds)}")
        return None
    model = _validated(kind.spec_model, body, where, out) if not out.lenient else _tolerated(kind.spec_model, body)
    if model is None:
        return None
    name = model.name or kind.default_name(stack, logical)
    if "${" not in name and not re.fullmatch(kind.name_pattern, name):
        out.add(
            f"name {name!r} is not valid for {kind.kind}",
            where + (("name",) if model.name else ()),
            f"AWS requires {kind.name_hint}; set `name:` explicitly or shorten the stack/resource name",
        )
    extras, problems = kind.load_files(model, base_dir)
    out.found.extend(problems)
    if not problems:
        out.models[logical] = model
    spec = {**{k: getattr(model, k, None) for k in type(model).model_fields}, **extras}  # lenient: a key may be missing
    spec = {k: (v.model_dump() if isinstance(v, BaseModel) else v) for k, v in spec.items()}
    deps = {ref.resource for ref in references_in(body) if ref.resource != STACK} | set(model.depends_on)
    return ResourceDecl(
        logical=logical,
        kind=kind.kind,
        name=name,
        spec=spec,
        depends_on=frozenset(deps),
    )


def _check_across(decls: dict[str, ResourceDecl], out: _Collector) -> None:
    """Each kind's rules across resources (`Kind.check_stack`); destroy (lenient) skips them."""
    others = {logical: (decl.kind, decl.spec) for logical, decl in decls.items()}
    for logical, decl in decls.items():
        for problem in out.kinds[decl.kind].check_stack(decl.spec, others):
            out.add(problem.summary, ("resources", logical, *problem.at), problem.detail)


def _located_refs(value: Any, path: KeyPath) -> list[tuple[KeyPath, Ref]]:
    if isinstance(value, dict):
        return [found for k, v in value.items() for found in _located_refs(v, path + (k,))]
    if isinstance(value, list):
        return [found for i, v in enumerate(value) for found in _located_refs(v, path + (i,))]
    return [(path, ref) for ref in references_in(value)]


def _check_references(decls: dict[str, ResourceDecl], bodies: dict[str, Any], out: _Collector) -> None:
    for logical, decl in decls.items():
        for where, ref in _located_refs(bodies[logical], ("resources", logical)):
            target = decls.get(ref.resource)
            if target is None and ref.resource in bodies:
                continue  # that resource has its own error already
            if ref.resource == STACK:
                if not out.reported(where):  # else refused where it is written (an unknown attribute)
                    out.add(
                        f"${{{STACK}.{ref.attribute}}} is not substituted here",
                        where,
                        "the stack's attributes are name and identifier, substituted where the stack file writes them "
                        "(not inside an environment variable's value)",
                    )
                continue
            if target is None:
                out.add(
                    f"reference ${{{ref.resource}.{ref.attribute}}} names no resource",
                    where,
                    f"define a resource {ref.resource!r} or fix the name; resources are: {', '.join(decls)}",
                )
            elif ref.attribute == HAND_OFF and where[2:3] != (out.kinds[decl.kind].hand_off_field,):
                out.add(
                    f"${{{ref.resource}.{HAND_OFF}}} is a part of config.json, not a value for this field",
                    where,
                    f"list it under an agent_runtime's {HAND_OFF}: (the server's configuration there)",
                )
            elif ref.attribute not in out.kinds[target.kind].referable:
                attrs = ", ".join(sorted(out.kinds[target.kind].referable))
                out.add(
                    f"{target.kind} {ref.resource!r} has no attribute {ref.attribute!r}", where, f"use one of: {attrs}"
                )
        for i, dep in enumerate(decl.spec["depends_on"]):
            if dep not in bodies:
                out.add(
                    f"depends_on names unknown resource {dep!r}",
                    ("resources", logical, "depends_on", i),
                    f"resources are: {', '.join(bodies)}",
                )
    graph = {k: {d for d in r.depends_on if d in decls} for k, r in decls.items()}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        out.add(
            f"references form a cycle: {cycle}",
            ("resources", exc.args[1][0]),
            "break the cycle: a resource cannot depend on itself through others",
        )
    seen: dict[tuple[str, str, str | None], str] = {}
    for logical, decl in decls.items():
        key = (decl.kind, decl.name, out.kinds[decl.kind].name_scope(decl.spec))
        if key in seen:
            out.add(
                f"{decl.kind} name {decl.name!r} is used by {seen[key]!r} and {logical!r}",
                ("resources", logical),
                "give each resource its own `name:`",
            )
        seen[key] = logical
