"""The offline end-to-end demo, step by step, each timed:

sandbox -> plan -> apply (config.json) -> mcp-server + oauth-callback -> a demo user's JWT ->
get_user_profile through a real MCP client ("authorization needed" + link) -> GitHub consent and
the callback's confirmation, followed as a browser would -> retry: profile and repositories ->
destroy -> everything stopped (also on Ctrl-C or error). Exits non-zero naming the failed step.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import httpx

from demo.processes import StepFailed, child
from reconciler.client_config import claude_desktop_config, proxy_command_line

DEMO_USER = "alice"


@dataclass
class Demo:
    stack_file: Path
    workdir: Path
    timings: list[tuple[str, float]] = field(default_factory=list)

    def step(self, title: str, action: Callable[[], Any]) -> Any:
        number = len(self.timings) + 1
        click.secho(f"\n[{number}] {title}", fg="cyan", bold=True)
        started = time.monotonic()
        try:
            result = action()
        except StepFailed as exc:
            raise StepFailed(f"step {number} ({title}) failed: {exc}") from exc
        except Exception as exc:  # any failure names its step
            raise StepFailed(f"step {number} ({title}) failed: {type(exc).__name__}: {exc}") from exc
        elapsed = time.monotonic() - started
        self.timings.append((title, elapsed))
        click.secho(f"    ok ({elapsed:.1f}s)", fg="green")
        return result


def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise StepFailed("no free port on 127.0.0.1")


def reconcile(*args: str, expect: int = 0) -> None:
    from reconciler.cli import main

    try:
        main.main(args=list(args), prog_name="reconcile", standalone_mode=False)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    if code != expect:
        raise StepFailed(f"`reconcile {' '.join(args)}` exited {code}, expected {expect}")


async def call_tool(url: str, token: str, name: str, arguments: dict[str, Any]) -> Any:
    """A real MCP SDK client (protocol 2025-11-25) that has not declared URL elicitation."""
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        async with Client(streamable_http_client(url, http_client=http), mode="legacy") as client:
            return await client.call_tool(name, arguments)


def confirm_in_callback(landing: str) -> str:
    """Sign in as the demo user and press the callback's confirm button, like a browser; returns who was linked."""
    from demo.browser import confirm_on_callback

    done = confirm_on_callback(landing, login=DEMO_USER)
    if done.status_code != 200 or "id='done'" not in done.text:
        raise StepFailed(f"the callback did not complete the authorization: HTTP {done.status_code}")
    found = re.search(r"linked for <strong>([^<]*)</strong>", done.text)
    return found.group(1) if found else "?"


def run_demo(stack_file: Path, *, keep: bool) -> None:
    from sandbox.cli import DEMO_ENV
    from demo.browser import approve_on_github
    from sandbox.server import Sandbox

    workdir = Path(tempfile.mkdtemp(prefix="agentcore-demo-"))
    demo = Demo(stack_file.resolve(), workdir)
    config = workdir / "config.json"
    stack = str(demo.stack_file)
    with ExitStack() as running:
        sandbox = demo.step(
            "Start the sandbox (AWS, AgentCore, OIDC issuer and GitHub, all on 127.0.0.1)",
            lambda: running.enter_context(Sandbox()),
        )
        callback_port, mcp_port = free_port(8080), free_port(8000)
        os.environ.update(
            {
                **sandbox.environ,
                **DEMO_ENV,
                "OIDC_DISCOVERY_URL": f"{sandbox.url}/oidc/.well-known/openid-configuration",
                "CALLBACK_URL": f"http://127.0.0.1:{callback_port}/oauth/callback",
            }
        )
        click.echo(f"    sandbox at {sandbox.url}; working files in {workdir}")
        demo.step(
            "Plan the shipped stack.yaml against the empty account",
            lambda: reconcile("plan", "--stack", stack, "--detailed-exitcode", expect=2),
        )
        demo.step(
            "Apply it (dependency order, waits for READY), writing config.json",
            lambda: reconcile("apply", "--stack", stack, "--config", str(config), "--auto-approve"),
        )
        demo.step("Plan again: no changes", lambda: reconcile("plan", "--stack", stack, "--detailed-exitcode"))
        mcp_url = f"http://127.0.0.1:{mcp_port}/mcp"
        demo.step(
            "Start mcp-server (streamable HTTP) and oauth-callback",
            lambda: (
                running.enter_context(
                    child(
                        "mcp-server",
                        [
                            "server",
                            "--config",
                            str(config),
                            "--host",
                            "127.0.0.1",
                            "--port",
                            str(mcp_port),
                            "--log-level",
                            "warning",
                        ],
                        health_url=f"http://127.0.0.1:{mcp_port}/healthz",
                        log=workdir / "mcp-server.log",
                    )
                ),
                running.enter_context(
                    child(
                        "oauth-callback",
                        ["callback", "--config", str(config), "--port", str(callback_port), "--log-level", "warning"],
                        health_url=f"http://127.0.0.1:{callback_port}/healthz",
                        log=workdir / "oauth-callback.log",
                    )
                ),
            ),
        )
        token = demo.step(
            f"Sign in as demo user {DEMO_USER} (a JWT from the sandbox's OIDC issuer)",
            lambda: (
                httpx.post(f"{sandbox.url}/oidc/token", json={"user": DEMO_USER})
                .raise_for_status()
                .json()["access_token"]
            ),
        )

        def first_call() -> str:
            result = asyncio.run(call_tool(mcp_url, token, "get_user_profile", {}))
            needed = (result.structured_content or {}).get("authorization_required")
            if not needed:
                raise StepFailed(
                    f"expected 'authorization needed', got: {result.content[0].text if result.content else result}"
                )
            click.echo("    " + result.content[0].text.replace("\n", "\n    "))
            return str(needed["url"])

        link = demo.step("Call get_user_profile through an MCP client: authorization is needed", first_call)
        landing = demo.step(
            "Open the link: approve on GitHub (stand-in), as a browser would",
            lambda: approve_on_github(link, login=DEMO_USER),
        )
        who = demo.step(
            "Sign in at the callback as the same user, then confirm (POST, CSRF-checked): CompleteResourceTokenAuth",
            lambda: confirm_in_callback(landing),
        )
        click.echo(f"    linked GitHub for {who}")

        def retry() -> None:
            profile = asyncio.run(call_tool(mcp_url, token, "get_user_profile", {}))
            if profile.is_error or not (profile.structured_content or {}).get("login"):
                raise StepFailed(
                    f"the profile did not come back: {profile.content[0].text if profile.content else profile}"
                )
            repos = asyncio.run(call_tool(mcp_url, token, "get_user_repos", {"per_page": 5, "sort": "updated"}))
            if repos.is_error:
                raise StepFailed(f"the repositories did not come back: {repos.content[0].text}")
            for result in (profile, repos):
                click.echo("    " + result.content[0].text.replace("\n", "\n    "))

        demo.step("Call the tools again: the user's own GitHub data", retry)
        if keep:
            _keep_running(mcp_url, sandbox.url, token, config)
        demo.step(
            "Destroy the stack",
            lambda: reconcile("destroy", "--stack", stack, "--config", str(config), "--auto-approve"),
        )
    click.secho("\nDemo complete. Step timings:", fg="green", bold=True)
    for title, seconds in demo.timings:
        click.echo(f"  {seconds:6.1f}s  {title}")
    click.echo(f"  {sum(s for _, s in demo.timings):6.1f}s  total")


def _keep_running(mcp_url: str, sandbox_url: str, token: str, config: Path) -> None:
    import json

    region = json.loads(config.read_text())["region"]
    click.secho("\nEverything stays up until Ctrl-C. Connect a client:", fg="cyan", bold=True)
    click.echo(json.dumps(claude_desktop_config(mcp_url=mcp_url, region=region, token=token), indent=2))
    click.echo("\nmcp-proxy-for-aws (SigV4; export the sandbox's AWS_* credentials first):")
    click.echo(
        f"  AWS_ENDPOINT_URL={sandbox_url} AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox-secret "
        + proxy_command_line(mcp_url, region=region, token=token)
    )
    click.echo(f"\nconfig.json: {config}    more tokens: reconcile sandbox token bob --endpoint {sandbox_url}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("\nStopping (destroying the stack; Ctrl-C again to abandon it)...")
        _ignore_echoed_interrupt()


def _ignore_echoed_interrupt(window: float = 1.0) -> None:
    """A wrapper (e.g. `uv run`) may deliver the same Ctrl-C twice; only a later one aborts the cleanup."""
    first = time.monotonic()

    def handler(signum: int, frame: object) -> None:
        if time.monotonic() - first > window:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)
