"""Exit codes a pipeline can trust: 2 only ever means "changes present" (plan --detailed-exitcode)."""

from __future__ import annotations

import click
import pytest

from commands.reconcile import main
from tests.conftest import reconcile

COMMANDS = main.list_commands(click.Context(main))


@pytest.mark.parametrize("command", COMMANDS)
def test_a_mistyped_flag_exits_1(command: str) -> None:
    result = reconcile(command, "--bogus", "--detailed-exitcode")
    assert result.exit_code == 1, result.output
    assert "No such option '--bogus'" in result.output


def test_an_unknown_command_exits_1() -> None:
    result = reconcile("plna")
    assert result.exit_code == 1 and "No such command 'plna'" in result.output


def test_help_exits_0() -> None:
    assert reconcile("--help").exit_code == 0 and reconcile("plan", "--help").exit_code == 0
