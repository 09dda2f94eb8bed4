"""The engine's waits are a value the caller passes (reconciler.settings), not constants to patch: a
command run through CliRunner with `obj=EngineSettings(...)` waits as told."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from commands.reconcile import main
from reconciler.command_line import engine_settings
from reconciler.settings import EngineSettings
from sandbox.server import Sandbox
from tests.shipped_stack import without_runtime


def test_the_settings_passed_as_the_root_object_reach_the_waits(sandbox: Sandbox, workdir: Path) -> None:
    """Under eventual consistency the first Get after a create is not-found, so apply must wait; with no time
    to wait at all, it stops there and says how long it waited. (The stack without its Runtime part: no
    server to package and upload.)"""
    (workdir / "stack.yaml").write_text(without_runtime((workdir / "stack.yaml").read_text()))
    sandbox.set_consistency("eventual")
    result = CliRunner().invoke(main, ["apply", "--auto-approve"], obj=EngineSettings(wait_timeout=0.0))
    assert result.exit_code == 1, result.output
    assert "after 0s; re-run apply to keep waiting" in result.output


def test_without_an_object_the_defaults_are_used() -> None:
    seen: list[EngineSettings] = []

    @click.command()
    def probe() -> None:
        seen.append(engine_settings())

    assert CliRunner().invoke(probe, []).exit_code == 0
    fast = EngineSettings(poll_initial=0.01, lock_poll=0.05)
    assert CliRunner().invoke(probe, [], obj=fast).exit_code == 0
    assert seen == [EngineSettings(), fast]
