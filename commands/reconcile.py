"""`reconcile`: the reconciler's commands plus `sandbox` and `demo`."""

from __future__ import annotations

from demo.cli import demo_command
from reconciler import cli
from sandbox.cli import sandbox_command

main = cli.Commands(
    "reconcile",
    commands={**cli.main.commands, "sandbox": sandbox_command, "demo": demo_command},
    help=cli.main.help,
    context_settings=cli.main.context_settings,
)
