"""The `--config PATH` option of every program that reads or writes config.json (`reconcile`, `mcp-server`,
`oauth-callback`). Click only, no pydantic: a program's `--help` imports this, not the model in
handoff/config.py (which re-exports `config_option` for the callers that import it from there)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

FC = TypeVar("FC", bound=Callable[..., Any])


def config_option(*, envvar: str | None = None, help: str = "Written by `reconcile apply`.") -> Callable[[FC], FC]:
    """The `--config PATH` option of every program that reads or writes config.json."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path),
        default=Path("config.json"),
        show_default=True,
        envvar=envvar,
        help=help,
    )
