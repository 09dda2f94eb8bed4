"""What the commands share: load the spec, connect, read live state, plan. Commands stay thin."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reconciler.aws import Clients, make_clients
from reconciler.kinds.base import Context
from reconciler.plan import Plan
from reconciler.planning import plan_changes, plan_destroy
from reconciler.reading import LiveState, read_live_state
from reconciler.stack import Stack, load_stack


@dataclass
class Snapshot:
    """The stack as declared and AWS as read at one moment: what a plan is computed from."""

    stack: Stack
    ctx: Context
    live: LiveState

    def plan(self) -> Plan:
        return plan_changes(self.stack, self.live)

    def plan_destroy(self) -> Plan:
        return plan_destroy(self.stack, self.live)


def take_snapshot(
    stack_file: Path,
    *,
    profile: str | None,
    region: str | None,
    progress: Callable[[str], None],
    clients: Clients | None = None,
    lenient: bool = False,
) -> Snapshot:
    """Validates the spec first: a bad spec never reaches AWS (`lenient`: see load_stack)."""
    stack = load_stack(stack_file, lenient=lenient)
    clients = clients or make_clients(profile=profile, region=region or stack.region)
    ctx = Context(clients=clients, stack=stack.name, progress=progress)
    progress(f"Reading live state of stack {stack.name!r} in {clients.region}...")
    return Snapshot(stack=stack, ctx=ctx, live=read_live_state(ctx, stack))
