"""`reconcile demo --keep`: after the tools answered, keep everything up for real clients until Ctrl-C."""

from __future__ import annotations

import signal
import time

import click

from demo.steps import Run
from reconciler.client_config import proxy_command_line


def serve_until_interrupted(run: Run) -> None:
    print_client_setups(run)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("\nStopping (destroying the stack; Ctrl-C again to abandon it)...")
        ignore_echoed_interrupt()


def print_client_setups(run: Run) -> None:
    region = run.region
    click.secho("\nEverything stays up until Ctrl-C. Connect a client:", fg="cyan", bold=True)
    click.echo(
        f"Claude Desktop, Claude Code, Cursor, VS Code: reconcile output --config {run.config} --client NAME "
        "(no token in it: each user signs in with mcp-connect)"
    )
    click.echo("\nmcp-proxy-for-aws with this run's token (SigV4; export the sandbox's AWS_* credentials first):")
    click.echo(
        f"  AWS_ENDPOINT_URL={run.sandbox_url} AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox-secret "
        + proxy_command_line(run.endpoint, region=region, token=run.token)
    )
    click.echo(f"\nconfig.json: {run.config}    more tokens: reconcile sandbox token bob --endpoint {run.sandbox_url}")


def ignore_echoed_interrupt(window: float = 1.0) -> None:
    """A wrapper (e.g. `uv run`) may deliver the same Ctrl-C twice; only a later one aborts the cleanup."""
    first = time.monotonic()

    def handler(signum: int, frame: object) -> None:
        if time.monotonic() - first > window:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)
