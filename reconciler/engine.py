"""What the commands share: load the spec, connect, read live state, plan. Commands stay thin."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.aws import Clients, make_clients
from reconciler.drifting import plan_drift
from reconciler.kinds import all_kinds
from reconciler.kinds.base import Context
from reconciler.live import LiveState
from reconciler.plan import Plan
from reconciler.planning import plan_changes, plan_destroy
from reconciler.reading import read_live_state
from reconciler.settings import EngineSettings
from reconciler.stack import Stack, load_stack


@dataclass
class Snapshot:
    """The stack as declared and AWS as read at one moment: what a plan is computed from."""

    stack: Stack
    ctx: Context
    live: LiveState

    def plan(self, *, targets: frozenset[str] = frozenset(), forced: frozenset[str] = frozenset()) -> Plan:
        return plan_changes(self.stack, self.live, targets=targets, forced=forced)

    def plan_drift(self) -> Plan:
        return plan_drift(self.stack, self.live, self.plan())

    def plan_destroy(self) -> Plan:
        return plan_destroy(self.stack, self.live)


def choose_region(stack: Stack, *, flag: str | None, environ: Mapping[str, str]) -> str | None:
    """The stack file's `region:` is desired state: another region asked for is an error, not a
    silent override. Without one: --region, then AWS_REGION, then the profile's default."""
    asked = {name: value for name, value in (("--region", flag), ("AWS_REGION", environ.get("AWS_REGION"))) if value}
    if stack.region is None:
        return next(iter(asked.values()), None)
    for name, value in asked.items():
        if value != stack.region:
            raise RuntimeError(
                f"{stack.file} declares region {stack.region!r} but {name} asks for {value!r}: the stack lives in "
                f"{stack.region}. Drop {name} (or set it to {stack.region}), or change `region:` in {stack.file.name} "
                "to deploy a separate stack there"
            )
    return stack.region


def open_stack(
    stack_file: Path,
    *,
    profile: str | None,
    region: str | None,
    progress: Callable[[str], None],
    clients: Clients | None = None,
    build: bool,
    lenient: bool = False,
    secrets_optional: bool = False,
    settings: EngineSettings | None = None,
) -> tuple[Stack, Context]:
    """Validates the spec first: a bad spec never reaches AWS (`build`, `lenient`, `secrets_optional`: see
    load_stack; only plan and apply build, the other commands need no packaged server). `settings`: the
    waits (reconciler.settings), the defaults unless a caller passes its own. The registry of kinds is built
    here, once, and travels on the Stack and the Context."""
    kinds = all_kinds()
    stack = load_stack(stack_file, lenient=lenient, secrets_optional=secrets_optional, build=build, kinds=kinds)
    clients = clients or make_clients(profile=profile, region=choose_region(stack, flag=region, environ=os.environ))
    return stack, Context.configured(
        clients=clients, stack=stack.name, progress=progress, settings=settings or EngineSettings(), kinds=kinds
    )


def read_snapshot(stack: Stack, ctx: Context) -> Snapshot:
    ctx.progress(f"Reading live state of stack {stack.name!r} in {ctx.clients.region}...")
    return Snapshot(stack=stack, ctx=ctx, live=read_live_state(ctx, stack))


def take_snapshot(
    stack_file: Path,
    *,
    profile: str | None,
    region: str | None,
    progress: Callable[[str], None],
    build: bool,
    lenient: bool = False,
    secrets_optional: bool = False,
    settings: EngineSettings | None = None,
) -> Snapshot:
    stack, ctx = open_stack(
        stack_file,
        profile=profile,
        region=region,
        progress=progress,
        build=build,
        lenient=lenient,
        secrets_optional=secrets_optional,
        settings=settings,
    )
    return read_snapshot(stack, ctx)
