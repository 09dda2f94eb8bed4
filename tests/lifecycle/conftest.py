"""Every lifecycle test runs twice: against a sandbox whose reads see writes at once, and against one
that is eventually consistent like AWS (the first Get after a create is not-found, the first after
an update still shows the old READY: sandbox/consistency.py)."""

from __future__ import annotations

import pytest

from sandbox.server import Sandbox


@pytest.fixture(params=["strong", "eventual"])
def sandbox(sandbox: Sandbox, request: pytest.FixtureRequest) -> Sandbox:
    sandbox.set_consistency(request.param)
    return sandbox
