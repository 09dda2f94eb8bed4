"""Lifecycle tests run against a sandbox whose reads see writes at once; those where eventual consistency
can change the outcome (marked `eventual`) run a second time against one that is eventually consistent
like AWS (the first Get after a create is not-found, the first after an update still shows the old READY:
sandbox/consistency.py).

Which and why: eventual consistency changes only what a read right after a gateway or target create or
update returns. So the tests that create (first apply, convergence after every step, a failed create),
update in place (spec, OpenAPI, secret, console edit put back), replace (immutable field, authorizer,
vendor, --replace) or plan right after an apply (the no-op plan, no-op apply, no drift, a saved plan
applied) run in both modes; tests of refusals, locks, output, adoption of untouched resources and
destroy-only paths do not read a fresh write and run once."""

from __future__ import annotations

import pytest

from sandbox.server import Sandbox
from tests.shipped_stack import workdir  # noqa: F401  (the shipped stack without its hosted callback)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sandbox" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("eventual") is not None
        metafunc.parametrize("consistency", ["strong", "eventual"] if both else ["strong"])


@pytest.fixture
def sandbox(sandbox: Sandbox, consistency: str) -> Sandbox:
    sandbox.set_consistency(consistency)  # type: ignore[arg-type]
    return sandbox
