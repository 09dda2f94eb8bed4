"""The offline end-to-end demo, step by step, each timed:

sandbox -> plan -> apply (config.json; mcp-server packaged onto AgentCore Runtime, oauth-callback onto AWS
Lambda behind a function URL) -> mcp-server locally -> the demo user signs in -> get_user_profile through a
real MCP client ("authorization needed" + link) -> GitHub consent and the hosted callback's confirmation,
followed as a browser would -> retry: profile and repositories -> destroy -> everything stopped (also on
Ctrl-C or error). With `runtime`, nothing runs locally but the sandbox and the client, whose calls go through
mcp-connect (SigV4) to the sandbox's AgentCore Runtime, which runs the uploaded server; with `door="oauth"`
the client goes straight to the runtime and signs in by itself (MCP authorization), and the hosted callback
signs users in with its own client (CALLBACK_OIDC_CLIENT_ID). Exits non-zero naming the failed step and its cause; a failed run
keeps its working folder (logs, session database) and prints where it is.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import click

from demo import steps
from demo.keep import serve_until_interrupted
from demo.runner import Steps
from demo.steps import DEMO_USER, Run
from demo.workdir import working_folder


def run_demo(stack_file: Path, *, keep: bool, runtime: bool = False, door: str = "sigv4") -> None:
    timed = Steps()
    with working_folder(keep=keep) as workdir, ExitStack() as running:
        run = Run(stack_file.resolve(), workdir, running, runtime=runtime or door == "oauth", door=door)
        deploy(timed, run)
        authorize(timed, run)
        if keep:
            serve_until_interrupted(run)
        timed.run("Destroy the stack", lambda: steps.destroy(run))
    timed.summary()


def route(run: Run) -> str:
    """How the demo user's MCP client reaches mcp-server, for the steps' titles."""
    if run.door == "oauth":
        return "straight to AgentCore Runtime (sandbox), OAuth door"
    if run.runtime:
        return "through mcp-connect (SigV4) -> AgentCore Runtime (sandbox)"
    return "through an MCP client -> local mcp-server"


def deploy(timed: Steps, run: Run) -> None:
    """Sandbox, plan, apply, the local servers."""
    timed.run(
        "Start the sandbox (AWS, AgentCore, OIDC issuer and GitHub, all on 127.0.0.1)",
        lambda: steps.start_sandbox(run),
    )
    click.echo(f"    sandbox at {run.sandbox_url}; working files in {run.workdir}")
    timed.run("Plan the shipped stack.yaml against the empty account", lambda: steps.plan_empty(run))
    timed.run(
        "Apply it (dependency order, waits for READY; uploads mcp-server to AgentCore Runtime), writing config.json",
        lambda: steps.apply(run),
    )
    timed.run("Plan again: no changes", lambda: steps.plan_unchanged(run))
    servers = (
        "Nothing to start locally: mcp-server runs on AgentCore Runtime, oauth-callback on AWS Lambda"
        if run.runtime
        else "Start mcp-server (streamable HTTP) locally (oauth-callback is hosted on AWS Lambda)"
    )
    timed.run(servers, lambda: steps.start_servers(run))
    if run.runtime:
        click.echo(f"    runtime invocation URL: {run.endpoint}")


def authorize(timed: Steps, run: Run) -> None:
    """A user's first call, consent as a browser gives it, the call again."""
    how = (
        "the MCP client follows the runtime's 401 to the identity provider, registers and signs in"
        if run.door == "oauth"
        else "mcp-connect login: authorization code + PKCE on the identity provider's page"
    )
    timed.run(f"Sign in as demo user {DEMO_USER} ({how})", lambda: steps.sign_in(run))
    link = timed.run(f"Call get_user_profile {route(run)}: authorization is needed", lambda: steps.first_call(run))
    landing = timed.run(
        "Open the link in a browser: sign in at the callback as the same user, approve on GitHub (stand-in)",
        lambda: steps.approve(run, link),
    )
    who = timed.run(
        "Confirm at the callback, in the same browser (POST, CSRF-checked): CompleteResourceTokenAuth",
        lambda: steps.confirm(run, landing),
    )
    click.echo(f"    linked GitHub for {who}")
    timed.run(f"Call the tools again {route(run)}: the user's own GitHub data", lambda: steps.call_again(run))
