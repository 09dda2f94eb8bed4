"""`reconcile sandbox`: serve the offline stand-in, and mint its test users' tokens.

Assembled into the `reconcile` command by `commands/`; no product package imports it.
"""

from __future__ import annotations

import signal
from typing import Literal

import click

DEMO_ENV = {
    "GITHUB_CLIENT_ID": "Iv1.sandbox-demo-client",
    "GITHUB_CLIENT_SECRET": "sandbox-demo-secret-not-real",
    "OIDC_CLIENT_ID": "sandbox-demo",
}


@click.group("sandbox", invoke_without_command=True)
@click.option("--port", default=4566, show_default=True, help="Port on 127.0.0.1 (0 picks a free one).")
@click.option(
    "--consistency",
    type=click.Choice(["strong", "eventual"]),
    envvar="SANDBOX_CONSISTENCY",
    default="strong",
    show_default=True,
    help="eventual: the first Get after a gateway/target create is not-found, after an update stale.",
)
@click.option(
    "--latency",
    type=float,
    default=0.0,
    envvar="SANDBOX_LATENCY_MS",
    show_default=True,
    help="Milliseconds added to every answer, like a round trip to a far region.",
)
@click.pass_context
def sandbox_command(ctx: click.Context, port: int, consistency: Literal["strong", "eventual"], latency: float) -> None:
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
        server = Sandbox(port=port, consistency=consistency, latency=latency / 1000)
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
    finally:
        server.app.close()  # the processes of deployed runtimes go with the sandbox
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
