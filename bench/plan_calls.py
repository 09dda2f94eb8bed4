"""AWS API calls made by `plan` and by a no-op `apply` of the shipped stack, against the floor of
one read per resource; and a plan's calls with the hosted callback's kinds (issue 22: the Lambda function, its
URL, role, code, secret and configuration parameter) against the same stack without them. Runs offline
against the sandbox (real boto3 clients over loopback HTTP).

    uv run python bench/plan_calls.py

Targets (issue #2): plan <= 1.5 calls per resource; a no-op apply makes 0 write calls.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SERVER_SOURCE", str(ROOT))  # the shipped stack packages from the repository

from reconciler.applying import apply_plan  # noqa: E402
from reconciler.aws import CallCounter, make_clients  # noqa: E402
from reconciler.kinds.base import Context  # noqa: E402
from reconciler.planning import plan_changes  # noqa: E402
from reconciler.reading import read_live_state  # noqa: E402
from reconciler.stack import load_stack  # noqa: E402
from sandbox.cli import DEMO_ENV  # noqa: E402
from sandbox.server import Sandbox  # noqa: E402
from tests.shipped_stack import without_hosted_callback  # noqa: E402


def measured(apply: bool, stack_file: Path = ROOT / "stack.yaml") -> CallCounter:
    stack = load_stack(stack_file)
    clients, counter = make_clients(), CallCounter()
    clients.count_calls(counter)
    ctx = Context(clients=clients, stack=stack.name, poll_initial=0.01)
    live = read_live_state(ctx, stack)
    plan = plan_changes(stack, live)
    if apply:
        result = apply_plan(ctx, plan)
        assert result.ok, result.outcomes
    return counter


def main() -> None:
    with Sandbox() as server:
        os.environ.update(
            {**server.environ, "OIDC_DISCOVERY_URL": f"{server.url}/oidc/.well-known/openid-configuration", **DEMO_ENV}
        )
        resources = len(load_stack(ROOT / "stack.yaml").resources)
        first = measured(apply=True)
        plan = measured(apply=False)
        noop = measured(apply=True)
        server.reset()
        smaller = Path(tempfile.mkdtemp(prefix="plan-calls-"))
        (smaller / "stack.yaml").write_text(without_hosted_callback((ROOT / "stack.yaml").read_text()))
        shutil.copytree(ROOT / "openapi", smaller / "openapi")
        measured(apply=True, stack_file=smaller / "stack.yaml")
        without = measured(apply=False, stack_file=smaller / "stack.yaml")
        fewer = len(load_stack(smaller / "stack.yaml").resources)
        shutil.rmtree(smaller)
    floor = resources
    print(f"stack: {resources} resources; floor = {floor} reads (one per resource)")
    print(f"first apply (creates everything): {first.total} calls, {first.writes} writes")
    print("plan of the applied stack, calls per operation:")
    for op, n in sorted(plan.calls.items()):
        print(f"  {n:3d}  {op}")
    ratio = plan.total / floor
    print(f"plan: {plan.total} calls = {ratio:.2f} calls/resource; ratio to floor {ratio:.2f}x (target <= 1.5)")
    print(f"no-op apply: {noop.total} calls, {noop.writes} writes (target 0 writes)")
    print(
        f"the hosted callback's {resources - fewer} resources: plan {plan.total} calls with them, {without.total} "
        f"without ({fewer} resources): +{plan.total - without.total} calls, "
        f"{(plan.total - without.total) / (resources - fewer):.2f} per added resource"
    )
    print(
        f"RESULT plan_calls_per_resource={ratio:.2f} noop_apply_writes={noop.writes} "
        f"plan_target={'met' if ratio <= 1.5 else 'NOT met'} noop_target={'met' if noop.writes == 0 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
