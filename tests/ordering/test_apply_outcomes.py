"""Apply's outcomes per node, with in-memory kinds (tests/ordering/fake_kinds.py): a failure skips exactly what
waits for it, directly or not, and names the cause; a delete its kind declines on purpose is kept, not failed,
and what waits for it goes on, except in a replace, where the old resource stands in the new one's way."""

from __future__ import annotations

from pathlib import Path

from reconciler.applying import ApplyResult, Outcome, apply_plan
from reconciler.live import LiveState
from reconciler.plan import Action
from reconciler.planning import plan_changes, plan_destroy
from reconciler.stack import Stack
from tests.ordering.fake_kinds import FakeKind, context, fake_stack

CHAIN = """\
  a: {kind: fake, value: "1"}
  b: {kind: fake, value: "${a.id}"}
  c: {kind: fake, value: "${b.id}"}
  d: {kind: fake, value: "4"}
"""


def by_address(result: ApplyResult) -> dict[str, list[Outcome]]:
    found: dict[str, list[Outcome]] = {}
    for outcome in result.outcomes:
        found.setdefault(outcome.address, []).append(outcome)
    return found


def applied(tmp_path: Path, kind: FakeKind) -> tuple[Stack, LiveState]:
    """CHAIN applied with `kind`, and its live state as a read would find it."""
    stack = fake_stack(tmp_path, CHAIN, kind)
    assert apply_plan(context(stack), plan_changes(stack, LiveState())).ok
    return stack, LiveState(resources={logical: kind.store[decl.name] for logical, decl in stack.resources.items()})


def test_a_failed_create_skips_exactly_what_waits_for_it(tmp_path: Path) -> None:
    kind = FakeKind(failing={"walk-a"})
    stack = fake_stack(tmp_path, CHAIN, kind)
    result = apply_plan(context(stack), plan_changes(stack, LiveState()))
    outcomes = by_address(result)
    assert not result.ok
    assert outcomes["a"][0].error == "fake 'walk-a' (a): walk-a refused" and not outcomes["a"][0].skipped
    for address in ("b", "c"):  # c waits for a through b: the cause is a
        (skipped,) = outcomes[address]
        assert skipped.cause == "a" and skipped.error is not None
        assert skipped.error.startswith(f"fake 'walk-{address}' ({address}) skipped: it waits for a, which failed")
        assert "walk-a refused" in skipped.error
    assert outcomes["d"] == [Outcome("d", Action.CREATE)]
    assert set(kind.store) == {"walk-d"} and ("create", "walk-b") not in kind.calls


def test_a_kept_delete_is_no_failure_and_what_waits_for_it_goes_on(tmp_path: Path) -> None:
    kind = FakeKind()
    stack, live = applied(tmp_path, kind)
    kind.kept = {"walk-b"}
    result = apply_plan(context(stack), plan_destroy(stack, live))
    outcomes = by_address(result)
    assert result.ok and result.changed == 3
    (kept,) = outcomes["b"]
    assert kept.action is Action.NOOP and kept.error is None
    assert kept.kept == "kept fake 'walk-b' (b): walk-b holds something that is not the stack's"
    assert outcomes["a"] == [Outcome("a", Action.DELETE)]  # a's delete waits for b's: it went on
    assert set(kind.store) == {"walk-b"}
    deletes = [name for call, name in kind.calls if call == "delete"]
    assert deletes.index("walk-c") < deletes.index("walk-b") < deletes.index("walk-a")


def test_a_kept_delete_in_a_replace_is_a_failure(tmp_path: Path) -> None:
    kind = FakeKind()
    stack, live = applied(tmp_path, kind)
    kind.kept = {"walk-b"}
    the_plan = plan_changes(stack, live, forced=frozenset({"b"}))
    assert {c.address: c.action for c in the_plan.changes}["b"] is Action.REPLACE
    result = apply_plan(context(stack), the_plan)
    outcomes = by_address(result)
    assert not result.ok
    failed = [o for o in outcomes["b"] if o.action is Action.DELETE]
    assert failed and failed[0].error == "fake 'walk-b' (b): walk-b holds something that is not the stack's"
    created = [o for o in outcomes["b"] if o.action is Action.REPLACE]
    assert created and created[0].cause == "b"  # the new b waits for the old one's delete: skipped
    assert kind.calls.count(("create", "walk-b")) == 1  # the first apply's, none since
