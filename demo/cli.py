"""`reconcile demo`: the whole mission, offline, from one command (the steps are in `demo.run`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

NEXT_STEPS = """
Next steps:
  reconcile sandbox                      serve the sandbox on 127.0.0.1:4566 and print its environment
  (in another shell, with that environment exported)
  reconcile apply --auto-approve         create the stack there; writes config.json
  reconcile sandbox token alice          a test user's JWT for the gateway (reconcile output gateway.url)
  reconcile output --client NAME         the entry for Claude Desktop, Claude Code, Cursor or VS Code
  README.md, "The sandbox", shows the OAuth consent flow step by step.
"""


@click.command("demo")
@click.option("--stack", "stack_file", type=click.Path(path_type=Path), default=Path("stack.yaml"), show_default=True)
@click.option(
    "--keep",
    is_flag=True,
    help="Keep everything running after the tools answered (prints client setups), and the working folder; Ctrl-C ends it.",
)
@click.option(
    "--runtime",
    is_flag=True,
    help="Reach mcp-server as a deployed client does: through mcp-connect (stdio, SigV4 door) to the sandbox's "
    "AgentCore Runtime, which runs the server apply uploaded; no local mcp-server.",
)
@click.option(
    "--door",
    type=click.Choice(["sigv4", "oauth"]),
    default="sigv4",
    show_default=True,
    help="oauth: deploy the runtime with a CUSTOM_JWT authorizer and let the MCP client sign in by itself, "
    'straight to the runtime (implies --runtime). README "Doors".',
)
def demo_command(stack_file: Path, keep: bool, runtime: bool, door: str) -> None:
    """The whole mission offline: sandbox, apply, MCP server, OAuth consent, tools, destroy.

    No AWS account, no GitHub account: the sandbox stands in for both. Apply deploys mcp-server to
    AgentCore Runtime too; by default the demo's client calls a local mcp-server, with --runtime the
    one on the Runtime. Every step is timed; the first failure stops the demo (exit 1, naming the
    step and its cause) and everything started is stopped. A successful run removes its working
    folder; a failed one keeps it (child logs, session database), prints the end of each log and
    where the folder is.
    """
    from demo.errors import StepFailed  # the demo's steps (the MCP SDK, the sandbox) load only when it runs
    from demo.run import run_demo

    try:
        run_demo(stack_file, keep=keep, runtime=runtime, door=door)
    except StepFailed as exc:
        click.secho(f"Demo failed: {exc}", fg="red", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.secho("Demo interrupted; everything it started was stopped.", fg="yellow", err=True)
        sys.exit(130)
    click.echo(NEXT_STEPS)
