"""`reconcile sandbox` (serve the offline stand-in) and `reconcile demo` (the whole job, offline).

Imported by the reconciler's CLI only to register these commands; the engine never sees it.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import click

DEMO_ENV = {
    "GITHUB_CLIENT_ID": "Iv1.sandbox-demo-client",
    "GITHUB_CLIENT_SECRET": "sandbox-demo-secret-not-real",
    "OIDC_CLIENT_ID": "sandbox-demo",
}


NEXT_STEPS = """
Next steps:
  reconcile sandbox                      serve the sandbox on 127.0.0.1:4566 and print its environment
  (in another shell, with that environment exported)
  reconcile apply --auto-approve         create the stack there; writes config.json
  reconcile sandbox token alice          a test user's JWT for the gateway (reconcile output gateway.url)
  README.md, "The sandbox", shows the OAuth consent flow step by step.
"""


@click.group("sandbox", invoke_without_command=True)
@click.option("--port", default=4566, show_default=True, help="Port on 127.0.0.1 (0 picks a free one).")
@click.pass_context
def sandbox_command(ctx: click.Context, port: int) -> None:
    """Serve an offline stand-in for AWS on 127.0.0.1 until Ctrl-C.

    It answers IAM and the AgentCore control plane (moto underneath), AgentCore Identity
    (providers, workload identities, the OAuth consent flow, CompleteResourceTokenAuth), each
    gateway's MCP endpoint, a test OIDC issuer and a GitHub stand-in. Nothing leaves the machine.

    \b
    Point boto3 (and so every reconcile command) at it in another shell:
      export AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_REGION=us-east-1 \\
             AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox-secret
      reconcile apply --auto-approve
      reconcile sandbox token alice        # a JWT for test user alice (or bob, carol)
    Everything lives in memory and is gone when it stops.
    """
    if ctx.invoked_subcommand is not None:
        return
    from sandbox.server import Sandbox

    try:
        server = Sandbox(port=port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}; pick another --port") from exc
    click.echo(f"Sandbox listening on {server.url} (Ctrl-C to stop). Use it with:\n")
    for key, value in {
        **server.environ,
        "OIDC_DISCOVERY_URL": f"{server.url}/oidc/.well-known/openid-configuration",
        **DEMO_ENV,
    }.items():
        click.echo(f"  export {key}={value}")
    click.echo("")
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve_forever()  # returns on Ctrl-C (werkzeug handles KeyboardInterrupt)
    except KeyboardInterrupt:
        pass
    click.echo("\nSandbox stopped.")


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops the sandbox as cleanly as Ctrl-C does."""
    raise KeyboardInterrupt


@sandbox_command.command("token")
@click.argument("user")
@click.option(
    "--endpoint",
    envvar="AWS_ENDPOINT_URL",
    default="http://127.0.0.1:4566",
    show_default=True,
    help="The running sandbox (default: AWS_ENDPOINT_URL).",
)
@click.option("--client-id", default="sandbox-demo", show_default=True, help="Audience / client_id claim.")
def token_command(user: str, endpoint: str, client_id: str) -> None:
    """Print a JWT for test USER from the sandbox's OIDC issuer (users: alice, bob, carol)."""
    import httpx

    try:
        response = httpx.post(
            f"{endpoint.rstrip('/')}/oidc/token", json={"user": user, "client_id": client_id}, timeout=10
        )
    except httpx.HTTPError as exc:
        raise click.ClickException(
            f"cannot reach the sandbox at {endpoint}: {exc}; start it with `reconcile sandbox`"
        ) from exc
    if response.status_code != 200:
        raise click.ClickException(f"the sandbox refused: {response.json().get('message', response.text)}")
    click.echo(response.json()["access_token"])


@click.command("demo")
@click.option("--stack", "stack_file", type=click.Path(path_type=Path), default=Path("stack.yaml"), show_default=True)
@click.option("--keep", is_flag=True, help="Leave the stack applied and the sandbox running until Ctrl-C.")
def demo_command(stack_file: Path, keep: bool) -> None:
    """Run the whole reconciler job offline: sandbox, plan, apply, re-plan, destroy.

    No AWS account needed: a local sandbox stands in for AWS, with demo GitHub credentials.
    """
    from reconciler.cli import main
    from sandbox.server import Sandbox

    with Sandbox() as server:
        os.environ.update(
            {**server.environ, "OIDC_DISCOVERY_URL": f"{server.url}/oidc/.well-known/openid-configuration", **DEMO_ENV}
        )
        click.secho(f"Sandbox running at {server.url} (stands in for AWS; nothing leaves this machine).", fg="cyan")
        steps = [
            ("Validate the spec", ["validate", "--stack", str(stack_file)], 0),
            (
                "Plan against the (empty) sandbox account",
                ["plan", "--stack", str(stack_file), "--detailed-exitcode"],
                2,
            ),
            (
                "Apply: create everything in dependency order",
                ["apply", "--stack", str(stack_file), "--auto-approve"],
                0,
            ),
            (
                "Plan again: an applied stack has no changes",
                ["plan", "--stack", str(stack_file), "--detailed-exitcode"],
                0,
            ),
            ("What apply handed to mcp-server and oauth-callback (config.json)", ["output"], 0),
        ]
        if not keep:
            steps.append(("Destroy what the stack owns", ["destroy", "--stack", str(stack_file), "--auto-approve"], 0))
        for number, (title, args, expected) in enumerate(steps, 1):
            click.secho(f"\n[{number}/{len(steps)}] {title}: reconcile {' '.join(args)}", fg="cyan", bold=True)
            started = time.monotonic()
            code = _invoke(main, args)
            if code != expected:
                click.secho(f"Step {number} ({title}) exited {code}, expected {expected}.", fg="red", err=True)
                sys.exit(1)
            click.secho(f"    ok ({time.monotonic() - started:.1f}s)", fg="green")
        if keep:
            click.secho("\nThe stack stays applied. Point another shell at the sandbox with:", fg="cyan")
            for key, value in server.environ.items():
                click.echo(f"  export {key}={value}")
            click.echo("Ctrl-C to stop.")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
        click.secho(
            "\nDemo complete: the reconciler planned, applied, converged and destroyed the stack.",
            fg="green",
            bold=True,
        )
        click.echo(NEXT_STEPS)


def _invoke(command: click.Command, args: list[str]) -> int:
    try:
        command.main(args=args, prog_name="reconcile", standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return 0
