"""`reconcile`: the reconciler's commands plus `sandbox` and `demo`."""

from __future__ import annotations

from demo.cli import demo_command
from reconciler.cli import main as reconciler_commands
from reconciler.command_line import Commands
from sandbox.cli import sandbox_command

main = Commands(
    "reconcile",
    commands={**reconciler_commands.commands, "sandbox": sandbox_command, "demo": demo_command},
    help=reconciler_commands.help,
    context_settings=reconciler_commands.context_settings,
)
