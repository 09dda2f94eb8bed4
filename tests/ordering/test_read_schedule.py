"""The read scheduler (reconciler.reading), with in-memory kinds (tests/ordering/fake_kinds.py): independent
resources are read at once; a resource read through another starts as soon as the owner's `lookup` gives what
it needs, before the owner's own read is done, or after that read where the owner's kind has no lookup; and
owned resources the stack no longer declares are found."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from reconciler.plan import Action
from reconciler.planning import plan_changes
from reconciler.reading import read_live_state
from tests.ordering.fake_kinds import FakeChild, FakeKind, FakeOwner, apply_all, context, fake_stack

PAIR = """\
  a: {kind: fake, value: "1"}
  b: {kind: fake, value: "2"}
"""
OWNED = """\
  owner: {kind: fake_owner}
  child: {kind: fake_child, owner: "${owner.id}"}
"""


def test_independent_resources_are_read_at_once(tmp_path: Path) -> None:
    both = threading.Barrier(2, timeout=5)
    stack = fake_stack(tmp_path, PAIR, FakeKind(on_read=lambda _: both.wait()))
    live = read_live_state(context(stack), stack)  # each read waits until the other has started
    assert live.resources == {"a": None, "b": None}


def test_one_at_a_time_the_same_reads_would_wait_for_each_other(tmp_path: Path) -> None:
    """The previous test proves something: with one read at a time its barrier is never met."""
    both = threading.Barrier(2, timeout=0.5)
    stack = fake_stack(tmp_path, PAIR, FakeKind(on_read=lambda _: both.wait()))
    with pytest.raises(threading.BrokenBarrierError):
        read_live_state(context(stack), stack, parallelism=1)


def owned_stack(tmp_path: Path, owner: FakeKind, child: FakeChild) -> None:
    """Applies OWNED with these kinds (the owner first: the child is read and created with its id)."""
    stack = fake_stack(tmp_path, OWNED, owner, child)
    assert [o.error for o in apply_all(stack)] == [None, None]


def test_a_resource_read_through_another_starts_on_the_owners_lookup(tmp_path: Path) -> None:
    child_reading = threading.Event()
    owner, child = FakeOwner(), FakeChild(on_read=lambda _: child_reading.set())
    owned_stack(tmp_path, owner, child)

    def owner_read(name: str) -> None:
        assert child_reading.wait(timeout=5), "the child's read waited for the owner's whole read"

    owner.on_read = owner_read
    stack = fake_stack(tmp_path, OWNED, owner, child)
    live = read_live_state(context(stack), stack)
    assert live.resources["child"] is not None and live.resources["owner"] is not None
    assert ("read with owner id-walk-owner", "walk-child") in child.calls
    assert ("lookup", "walk-owner") in owner.calls


def test_without_a_lookup_the_owners_read_comes_first(tmp_path: Path) -> None:
    owner, child = FakeOwner(), FakeChild()
    owned_stack(tmp_path, owner, child)
    FakeOwner.lookup = FakeKind.lookup  # type: ignore[method-assign]
    try:
        owner.calls.clear()
        child.calls.clear()
        order: list[str] = []
        owner.on_read = child.on_read = order.append
        stack = fake_stack(tmp_path, OWNED, owner, child)
        read_live_state(context(stack), stack)
    finally:
        del FakeOwner.lookup
    assert order == ["walk-owner", "walk-child"]
    assert ("read with owner id-walk-owner", "walk-child") in child.calls and not [
        c for c in owner.calls if c[0] == "lookup"
    ]


def test_an_owned_resource_no_longer_declared_is_found_and_deleted(tmp_path: Path) -> None:
    kind = FakeKind()
    stack = fake_stack(tmp_path, PAIR, kind)
    assert [o.error for o in apply_all(stack)] == [None, None]
    smaller = fake_stack(tmp_path, '  a: {kind: fake, value: "1"}\n', kind)
    live = read_live_state(context(smaller), smaller)
    assert [(o.kind, o.live.name) for o in live.orphans] == [("fake", "walk-b")]
    removed = [c for c in plan_changes(smaller, live).changes if c.address == "removed.walk-b"]
    assert [c.action for c in removed] == [Action.DELETE]
