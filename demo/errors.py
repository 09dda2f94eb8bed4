"""How the demo fails: `StepFailed` names the step, `root_cause` names what really went wrong.

An MCP client call fails inside anyio task groups, so what reaches the demo is an
`ExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception)` that says nothing by itself;
`root_cause` walks the group's leaves and each leaf's `raise ... from` chain to the innermost error.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator


class StepFailed(Exception):
    pass


def leaves(exc: BaseException) -> Iterator[BaseException]:
    """The exceptions inside (nested) exception groups; `exc` itself when it is not a group."""
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from leaves(inner)
    else:
        yield exc


def innermost(exc: BaseException) -> BaseException:
    """The end of the explicit `raise ... from` chain (e.g. httpcore's error under httpx's)."""
    seen = {id(exc)}
    while exc.__cause__ is not None and id(exc.__cause__) not in seen:
        exc = exc.__cause__
        seen.add(id(exc))
    return exc


def type_name(exc: BaseException) -> str:
    """`ReadTimeout` -> `httpx.ReadTimeout` (the public package when it exports the type), builtins bare."""
    kind = type(exc)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    package = kind.__module__.split(".")[0]
    if getattr(sys.modules.get(package), kind.__qualname__, None) is kind:
        return f"{package}.{kind.__qualname__}"
    return f"{kind.__module__}.{kind.__qualname__}"


def describe(exc: BaseException) -> str:
    message = str(exc)
    return f"{type_name(exc)}: {message}" if message else f"{type_name(exc)} (no message)"


def root_cause(exc: BaseException) -> str:
    """Each leaf of `exc` with the innermost error it was raised from, `; `-separated."""
    causes = []
    for leaf in leaves(exc):
        text, deepest = describe(leaf), describe(innermost(leaf))
        causes.append(text if deepest == text else f"{text} (from {deepest})")
    return "; ".join(causes)
