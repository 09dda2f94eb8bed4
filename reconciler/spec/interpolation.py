"""`${...}` expressions in stack.yaml.

- `${env:NAME}` / `${env:NAME:-default}`: environment, substituted at load time (missing = error). The default
  may hold `${resource.attribute}` references (and `${stack.*}`, substituted before), and nothing else nested (`${env:CALLBACK_URL:-${link.url}x}`): when
  the variable is unset they stay in the value and are resolved at apply like any other reference.
- `${var.NAME}`: the file's `variables:` block, substituted at load time.
- `${stack.name}` / `${stack.identifier}`: the file's `stack:` (`github-mcp`), and the same with `_` for `-`
  (`github_mcp`: the form AgentCore Runtime names take), substituted first, as text, wherever the stack file writes
  them (defaults included), so the names a stack writes out (log groups, parameter paths, a bucket's default)
  follow a renamed stack. A value that comes from the environment is not read for them.
- `${resource.attribute}`: another resource's live attribute, kept until plan/apply time; these
  references are the edges of the dependency graph.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

EXPRESSION = re.compile(r"\$\{((?:\$\{[^{}]*\}|[^}])*)\}")
"""`${...}`, whose text may hold one level of `${...}` (a reference in an env default; checked by `_default`)."""
ENV = re.compile(r"env:([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$", re.S)
VAR = re.compile(r"var\.([A-Za-z_][A-Za-z0-9_]*)$")
REF = re.compile(r"([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)$")
STACK = "stack"
"""The built-in whose attributes are the stack's names: no resource may take this name."""
STACK_ATTRIBUTE = re.compile(r"\$\{\s*stack\.([a-z][a-z0-9_]*)\s*\}")


def stack_names(stack: str) -> dict[str, str]:
    """`${stack.ATTRIBUTE}`'s values for the stack named `stack`."""
    return {"name": stack, "identifier": stack.replace("-", "_")}


class Unknown:
    """A value only known after apply (an attribute of a resource not created yet)."""

    def __repr__(self) -> str:
        return "(known after apply)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown)

    def __hash__(self) -> int:
        return 0


UNKNOWN = Unknown()


@dataclass(frozen=True)
class Ref:
    resource: str
    attribute: str


class InterpolationError(ValueError):
    def __init__(self, message: str, *, variable: str | None = None):
        super().__init__(message)
        self.variable = variable
        """The environment variable that is unset, when that is the problem."""


UNSET_SECRET = "\x00unset-secret:"


def unset_secret(variable: str) -> str:
    """Stands for a secret whose environment variable is unset (plans without secrets)."""
    return UNSET_SECRET + variable


def unset_secret_variable(value: str) -> str | None:
    return value[len(UNSET_SECRET) :] if value.startswith(UNSET_SECRET) else None


def substitute_load_time(
    value: str, variables: Mapping[str, str], environ: Mapping[str, str] | None = None, stack: str | None = None
) -> str:
    """Replace env, var and stack expressions (`stack`: the stack's name); leave resource references for later."""
    env = os.environ if environ is None else environ
    if stack is not None:
        value = substitute_stack(value, stack)

    def one(match: re.Match[str]) -> str:
        expr = match.group(1).strip()
        if m := ENV.match(expr):
            name, default = m.group(1), m.group(2)
            checked = None if default is None else _default(name, default)
            if name in env and env[name] != "":
                return env[name]
            if checked is not None:
                return checked
            raise InterpolationError(
                f"environment variable {name} is not set; export it (e.g. `export {name}=...`) "
                f"or give a default with ${{env:{name}:-value}}",
                variable=name,
            )
        if m := VAR.match(expr):
            if m.group(1) not in variables:
                raise InterpolationError(f"unknown variable {m.group(1)!r}; define it under `variables:`")
            return variables[m.group(1)]
        if REF.match(expr):
            return match.group(0)
        raise InterpolationError(
            f"cannot read expression ${{{expr}}}; use ${{env:NAME}}, ${{var.NAME}}, ${{stack.name}}, "
            "${stack.identifier} or ${resource.attribute}"
        )

    return EXPRESSION.sub(one, value)


def substitute_stack(value: str, stack: str, *, strict: bool = True) -> str:
    """`${stack.ATTRIBUTE}` replaced in `value`; an unknown attribute raises, or stays when not `strict`."""
    names = stack_names(stack)

    def one(match: re.Match[str]) -> str:
        attribute = match.group(1)
        if attribute in names:
            return names[attribute]
        if not strict:
            return match.group(0)
        raise InterpolationError(
            f"the stack has no attribute {attribute!r}; use ${{stack.name}} ({stack}) or ${{stack.identifier}} "
            f"({names['identifier']})"
        )

    return STACK_ATTRIBUTE.sub(one, value)


def _default(name: str, default: str) -> str:
    """The default of `${env:NAME:-default}`, checked whether or not NAME is set: plain text and whole
    `${resource.attribute}` references, which stay for apply to resolve."""
    rest = EXPRESSION.sub(lambda e: "" if _is_ref(e.group(1).strip()) else e.group(0), default)
    if "${" in rest:
        raise InterpolationError(
            f"the default of ${{env:{name}:-...}} may hold only ${{resource.attribute}} references; "
            f"write it as text and such references, e.g. ${{env:{name}:-${{callback_link.url}}oauth/callback}}"
        )
    return default


def _is_ref(expr: str) -> bool:
    return REF.match(expr) is not None and VAR.match(expr) is None  # `${var.x}` reads as a variable first


def references_in(value: Any) -> list[Ref]:
    """Every `${resource.attribute}` in a nested value."""
    found: list[Ref] = []
    walk_strings(
        value,
        lambda s: found.extend(
            Ref(*m.groups()) for e in EXPRESSION.finditer(s) if (m := REF.match(e.group(1).strip()))
        ),
    )
    return found


def walk_strings(value: Any, visit: Callable[[str], None]) -> None:
    if isinstance(value, str):
        visit(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            walk_strings(item, visit)
    elif isinstance(value, list):
        for item in value:
            walk_strings(item, visit)


def holds_unknown(value: Any) -> bool:
    """Whether a nested value has a part only known after apply."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, Mapping):
        return any(holds_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_unknown(v) for v in value)
    return False


def resolve_refs(value: Any, lookup: Callable[[Ref], Any]) -> Any:
    """Replace resource references with `lookup(ref)`; an UNKNOWN part makes the whole string UNKNOWN."""
    if isinstance(value, str):
        whole = EXPRESSION.fullmatch(value)
        if whole and (m := REF.match(whole.group(1).strip())):
            return lookup(Ref(*m.groups()))
        parts = [lookup(Ref(*m.groups())) for e in EXPRESSION.finditer(value) if (m := REF.match(e.group(1).strip()))]
        if any(isinstance(p, Unknown) for p in parts):
            return UNKNOWN
        values = iter(parts)
        return EXPRESSION.sub(lambda e: str(next(values)) if REF.match(e.group(1).strip()) else e.group(0), value)
    if isinstance(value, Mapping):
        return {k: resolve_refs(v, lookup) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_refs(v, lookup) for v in value]
    return value
