"""The demo's working folder (config.json, child logs, the OAuth session database): removed after a
successful run, kept and named after a failed or interrupted one (with the tail of each child's log
printed), kept on request (`--keep`)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

PREFIX = "agentcore-demo-"
LOG_TAIL_LINES = 30


@contextmanager
def working_folder(*, keep: bool) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix=PREFIX))
    try:
        yield folder
    except KeyboardInterrupt:
        click.secho(f"Working files kept in {folder}", fg="yellow", err=True)
        raise
    except BaseException:
        print_log_tails(folder)
        click.secho(f"Working files (logs, session database) kept in {folder}", fg="yellow", err=True)
        raise
    if keep:
        click.echo(f"Working files kept in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)


def print_log_tails(folder: Path, lines: int = LOG_TAIL_LINES) -> None:
    """The last `lines` lines of each log (mcp-server, oauth-callback, mcp-proxy-for-aws with --runtime), on stderr."""
    for log in sorted(folder.glob("*.log")):
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        click.secho(f"\n--- {log.name}: last {len(tail)} line(s) ---", fg="yellow", err=True)
        for line in tail:
            click.echo(f"  {line}", err=True)
    click.echo("", err=True)
