"""The apply graph (Terraform's apply graph), built from a plan alone. Pure: no AWS, no I/O.

Every change becomes one or two nodes: `apply` (create, update, the create half of a replace, or a
no-op that only passes its live outputs on) and `delete` (a delete, or the delete half of a
replace). Edges say what a node waits for:
- apply(A) waits for apply(D) for each D that A depends on, and for delete(A) when A is replaced;
- delete(A) waits for delete(B) for each B that depends on A and is deleted too (reversed edges:
  dependents go first), and for apply(B) when B is only updated while A goes away (B must stop
  referring to A first).
"B depends on A" comes from the stack file (references, depends_on) and, for resources the file no
longer declares, from the live documents: B refers to A when a value of B's live document is one
of A's live outputs (an id or ARN; not a number, nor a value A's own document holds), e.g. a removed target
names its gateway's id, while two code artifacts that pass on one bucket's name do not refer to each other, nor
a parameter at version "1" to a runtime at version "1".
"""

from __future__ import annotations

import graphlib
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.plan import Action, Plan, ResourceChange


@dataclass(frozen=True, order=True)
class Node:
    address: str
    phase: Literal["delete", "apply"]


class OrderingError(RuntimeError):
    """The plan's dependencies form a cycle; names it."""


def apply_graph(plan: Plan) -> dict[Node, set[Node]]:
    """node -> the nodes it waits for."""
    changes = {c.address: c for c in plan.changes}
    deleted = {a for a, c in changes.items() if c.action in (Action.DELETE, Action.REPLACE)}
    applied = {a for a, c in changes.items() if c.action is not Action.DELETE}
    graph: dict[Node, set[Node]] = {Node(a, "delete"): set() for a in deleted}
    for address in applied:
        waits = {Node(d, "apply") for d in changes[address].depends_on if d in applied}
        graph[Node(address, "apply")] = waits | ({Node(address, "delete")} if address in deleted else set())
    for dependent in changes.values():
        for address in _dependencies(dependent, changes) & deleted:
            if dependent.address in deleted:
                graph[Node(address, "delete")].add(Node(dependent.address, "delete"))
            elif dependent.action is Action.UPDATE and changes[address].action is Action.DELETE:
                graph[Node(address, "delete")].add(Node(dependent.address, "apply"))
    _check_acyclic(graph)
    return graph


def _dependencies(change: ResourceChange, changes: dict[str, ResourceChange]) -> set[str]:
    found = set(change.depends_on)
    if change.current is not None:
        values = _leaves(change.current.document)
        for address, other in changes.items():
            if other.current is None:
                continue
            # An output that `other` also holds in its own document is one it took from elsewhere (two code
            # artifacts pass on their bucket's name), and a number (a runtime's version "1") names nothing: values
            # shared by chance, not references to `other`.
            passed_on = _leaves(other.current.document)
            outputs = [v for v in other.current.outputs.values() if isinstance(v, str) and v and not v.isdigit()]
            if any(v in values and v not in passed_on for v in outputs):
                found.add(address)
    found.discard(change.address)
    return found


def _leaves(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return {leaf for v in value.values() for leaf in _leaves(v)}
    if isinstance(value, list):
        return {leaf for v in value for leaf in _leaves(v)}
    return set()


def _check_acyclic(graph: dict[Node, set[Node]]) -> None:
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        cycle = " -> ".join(f"{n.phase} {n.address}" for n in exc.args[1])
        raise OrderingError(f"the plan's changes wait for each other in a cycle: {cycle}") from exc
