"""`reconcile`: the reconciler's commands plus `sandbox` and `demo`, which are imported only when run.

`reconcile --help` lists `sandbox` and `demo` from the short help kept here (tests/cli/test_lazy_commands.py
checks it against their own), so it loads neither the sandbox (moto) nor the demo (the MCP SDK)."""

from __future__ import annotations

import importlib
from typing import Any

import click

from reconciler.cli import main as reconciler_commands
from reconciler.command_line import Commands

LAZY = {
    "demo": (
        "demo.cli:demo_command",
        "The whole mission offline: sandbox, apply, MCP server, OAuth consent, tools, destroy.",
    ),
    "sandbox": ("sandbox.cli:sandbox_command", "Serve an offline stand-in for AWS on 127.0.0.1 until Ctrl-C."),
}
"""name -> (where the command is, the first paragraph of its help, which `reconcile --help` shortens as click does)."""


class LazyCommands(Commands):
    """click's "lazy loading subcommands" pattern: a command in `lazy` is imported when it is run or its own
    help is asked for; listing it needs only its short help."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            self.add_command(load(self.lazy[cmd_name][0]), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click.Group.format_commands, with the short help of a command not yet imported made from `lazy`."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, self.summary_of(name, limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def summary_of(self, name: str, limit: int) -> str:
        command = self.commands.get(name) or click.Command(name, help=self.lazy[name][1])
        return command.get_short_help_str(limit)


def load(where: str) -> click.Command:
    module, attribute = where.split(":")
    command = getattr(importlib.import_module(module), attribute)
    assert isinstance(command, click.Command), where
    return command


main = LazyCommands(
    "reconcile",
    commands=reconciler_commands.commands,
    lazy=LAZY,
    help=reconciler_commands.help,
    context_settings=reconciler_commands.context_settings,
)
