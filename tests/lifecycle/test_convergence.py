"""Apply after any interruption converges with no duplicates; an unchanged stack costs no writes."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from reconciler.applying import apply_plan
from reconciler.aws import CallCounter, Clients, make_clients
from reconciler.kinds.base import Context
from reconciler.planning import plan_changes
from reconciler.reading import read_live_state
from reconciler.stack import Stack, load_stack
from sandbox.server import Sandbox
from tests.lifecycle.helpers import FULL_STACK, inventory


class Crash(BaseException):
    """Stands for the process dying (Ctrl-C, kill, lost connection) right after a write returned."""


def converge(clients: Clients, stack: Stack | None = None) -> tuple[Any, Any]:
    stack = stack or load_stack(Path("stack.yaml"))
    ctx = Context(clients=clients, stack=stack.name, poll_initial=0.01)
    live = read_live_state(ctx, stack)
    plan = plan_changes(stack, live)
    return plan, apply_plan(ctx, plan)


def crash_after_writes(clients: Clients, limit: int) -> None:
    seen = CallCounter()

    def after_call(model: Any, **kwargs: Any) -> None:
        seen(model)
        if seen.writes >= limit:
            raise Crash(f"crashed after write #{limit} ({model.name})")

    clients.on("after-call.*.*", after_call)


@pytest.mark.eventual
def test_interrupted_apply_converges_after_every_step(sandbox: Sandbox, workdir: Path) -> None:
    """Crash after write 1, 2, ... until an apply finishes with no crash: every write of that apply was a
    crash point (counting the writes of a separate first apply would not do: under eventual consistency
    a retried write can make one run longer than the next). The stack is loaded once and the clients without
    the crash hook are shared: both are the same on every pass, and were a third of its time."""
    stack, steady = load_stack(Path("stack.yaml")), make_clients()
    for limit in itertools.count(1):
        sandbox.reset()
        clients = make_clients()
        crash_after_writes(clients, limit)
        try:
            converge(clients, stack)
        except Crash:
            pass
        else:
            assert inventory() == FULL_STACK
            break
        plan, result = converge(steady, stack)
        assert result.ok, (limit, result.outcomes)
        assert inventory() == FULL_STACK, f"after a crash following write #{limit}"
        final, _ = converge(steady, stack)
        assert not final.has_changes, f"not converged after a crash following write #{limit}"
    assert limit > 8, f"a whole apply made only {limit - 1} writes"


@pytest.mark.eventual
def test_noop_apply_makes_no_write_calls(sandbox: Sandbox, workdir: Path) -> None:
    converge(make_clients())
    clients, counter = make_clients(), CallCounter()
    clients.count_calls(counter)
    plan, result = converge(clients)
    assert not plan.has_changes and result.ok
    assert counter.writes == 0, counter.calls
    assert counter.total > 0
