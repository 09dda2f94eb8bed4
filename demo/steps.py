"""The demo's steps, one function each, sharing one `Run` (what earlier steps started or learned)."""

from __future__ import annotations

import json
import os
import re
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import click
import httpx
from mcp import StdioServerParameters

from demo import function_urls
from demo.browser import Browser
from demo.doors import LOOPBACK_REDIRECT, OAuthDoor, connect_login, connect_params, signs_in_with
from demo.errors import StepFailed
from demo.mcp_client import Direct, Proxied, Server, call_tools, list_tools, text_of
from demo.processes import ReservedPort, child, reserve_port
from reconciler.settings import EngineSettings

DEMO_USER = "alice"
PREFERRED_PORTS = {"mcp-server": 8000}
MODULES = {"mcp-server": "server"}


@dataclass
class Run:
    stack_file: Path
    workdir: Path
    running: ExitStack
    """Everything started (sandbox, children) is stopped when this closes."""
    runtime: bool = False
    """The user's client reaches mcp-server on AgentCore Runtime; no local mcp-server."""
    door: str = "sigv4"
    """sigv4: through mcp-connect (signed with the sandbox's AWS keys); oauth: the client's own OAuth, straight
    to a runtime with a CUSTOM_JWT authorizer (README "Doors")."""
    oauth: OAuthDoor | None = None
    sandbox_url: str = ""
    aws_environ: dict[str, str] = field(default_factory=dict)
    """The sandbox's AWS_* variables (its endpoint and credentials)."""
    ports: dict[str, ReservedPort] = field(default_factory=dict)
    """Held from the moment they are picked until the child serving each answers on it."""
    token: str = ""
    browser: Browser | None = None
    """The demo user's browser, from the consent link to the confirmation (it keeps the callback's cookies)."""

    @property
    def stack(self) -> str:
        return str(self.stack_file)

    @property
    def config(self) -> Path:
        return self.workdir / "config.json"

    @property
    def local_servers(self) -> tuple[str, ...]:
        """oauth-callback is the stack's own (AWS Lambda, function URL): only a local mcp-server runs here."""
        return () if self.runtime else ("mcp-server",)

    @property
    def region(self) -> str:
        return str(json.loads(self.config.read_text())["region"])

    @property
    def endpoint(self) -> str:
        """Where the user's client connects: the runtime's invocation URL (config.json) or the local mcp-server."""
        if self.runtime:
            return str(json.loads(self.config.read_text())["runtime"]["invocation_url"])
        return f"http://127.0.0.1:{self.ports['mcp-server'].number}/mcp"

    @property
    def server(self) -> Server:
        """The demo user's MCP client's way to the server: the local one with the signed-in user's JWT, or the
        runtime through mcp-connect (SigV4 door) or through the client's own OAuth (OAuth door)."""
        if not self.runtime:
            return Direct(self.endpoint, self.token)
        if self.door == "oauth":
            assert self.oauth is not None, "sign_in made the client"
            return self.oauth
        command, args, env = connect_params(self.config, self.workdir, self.aws_environ)
        params = StdioServerParameters(command=command, args=args, env=env)
        return Proxied(params, log=self.workdir / "mcp-connect.log")


def start_sandbox(run: Run) -> None:
    """The sandbox in a thread; the environment that points boto3, the stack and the children at it."""
    from sandbox.cli import DEMO_ENV
    from sandbox.server import Sandbox

    sandbox = run.running.enter_context(Sandbox())
    run.sandbox_url, run.aws_environ = sandbox.url, sandbox.environ
    for name in run.local_servers:
        run.ports[name] = reserve_port(PREFERRED_PORTS[name])
        run.running.callback(run.ports[name].release)
    os.environ.update(
        {
            **sandbox.environ,
            **DEMO_ENV,
            "OIDC_DISCOVERY_URL": f"{sandbox.url}/oidc/.well-known/openid-configuration",
            "SANDBOX_OIDC_REDIRECT_URIS": LOOPBACK_REDIRECT,  # mcp-connect's loopback sign-in, any port
        }
    )
    os.environ.pop("CALLBACK_URL", None)  # the stack's own: the hosted callback's function URL
    if run.door == "oauth":
        from sandbox.oidc import API_SCOPES

        # Both authorizers require the API scope; no client id, so the client's own registration is accepted.
        os.environ.update({"RUNTIME_AUTHORIZER": "CUSTOM_JWT", "OIDC_SCOPES": API_SCOPES})
        # The gateway lists no client, so the hosted callback is given its own sign-in client.
        os.environ["CALLBACK_OIDC_CLIENT_ID"] = os.environ.pop("OIDC_CLIENT_ID")


ON_THE_SANDBOX = EngineSettings(poll_initial=0.05, poll_max=0.2, lock_poll=0.2)
"""The sandbox answers at once: the demo polls it every 50-200 ms instead of AWS's 0.5-10 s."""


def reconcile(*args: str, expect: int = 0) -> None:
    """`reconcile ARGS` in this process (it sees the sandbox's environment); checks the exit code."""
    from reconciler.cli import main

    try:
        main.main(args=list(args), prog_name="reconcile", standalone_mode=False, obj=ON_THE_SANDBOX)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    if code != expect:
        raise StepFailed(f"`reconcile {' '.join(args)}` exited {code}, expected {expect}")


def plan_empty(run: Run) -> None:
    reconcile("plan", "--stack", run.stack, "--detailed-exitcode", expect=2)


def apply(run: Run) -> None:
    reconcile("apply", "--stack", run.stack, "--config", str(run.config), "--auto-approve")
    # The hosted callback's sign-in return, registered with the identity provider as apply's notice asks.
    callback_url = str(json.loads(run.config.read_text())["callback_url"])
    sign_in_return = callback_url.removesuffix("/oauth/callback") + "/oauth/signed-in"
    os.environ["SANDBOX_OIDC_REDIRECT_URIS"] = f"{LOOPBACK_REDIRECT},{sign_in_return}"


def plan_unchanged(run: Run) -> None:
    reconcile("plan", "--stack", run.stack, "--detailed-exitcode")


def destroy(run: Run) -> None:
    reconcile("destroy", "--stack", run.stack, "--config", str(run.config), "--auto-approve")


def start_servers(run: Run) -> None:
    """The local mcp-server, unless it runs on AgentCore Runtime; where the hosted callback answers."""
    for name in run.local_servers:
        port = run.ports[name]
        args = [MODULES[name], "--config", str(run.config), "--log-level", "warning"]
        args += ["--host", "127.0.0.1", "--port", str(port.number)]
        run.running.enter_context(child(name, args, port=port, log=run.workdir / f"{name}.log"))
    click.echo(f"    oauth-callback (AWS Lambda): {json.loads(run.config.read_text())['callback_url']}")


def sign_in(run: Run) -> None:
    """The demo user signs in on the identity provider's page: with mcp-connect (SigV4 door, and for the local
    server the token it got), or, through the OAuth door, by the MCP client itself on its first request."""
    if run.door == "oauth":
        run.oauth = OAuthDoor(run.endpoint, DEMO_USER)
        tools = list_tools(run.oauth)
        if run.oauth.signed_in != [DEMO_USER]:
            raise StepFailed("the MCP client did not sign in through the runtime's 401")
        click.echo(
            f"    registered as {_client_id(run.oauth)}; signed in in {signs_in_with()}; {len(tools)} tools listed"
        )
        return
    run.token = connect_login(run.config, run.workdir, DEMO_USER)
    click.echo(f"    signed in in {signs_in_with()}")


def _client_id(door: OAuthDoor) -> str:
    return str(getattr(door.client, "client_id", "?"))


def first_call(run: Run) -> str:
    """get_user_profile before consent: 'authorization needed' and the link, which this returns."""
    [result] = call_tools(run.server, ("get_user_profile", {}))
    needed = (result.structured_content or {}).get("authorization_required")
    if not needed:
        raise StepFailed(f"expected 'authorization needed', got: {text_of(result)}")
    click.echo("    " + text_of(result).replace("\n", "\n    "))
    return str(needed["url"])


def approve(run: Run, link: str) -> httpx.Response:
    """Open the server's link in the demo user's browser: sign in at the callback, approve on GitHub's
    consent page (the stand-in); returns the page the browser lands on (the callback's confirmation)."""
    # The user's browser reaches the hosted callback's https function URL; the sandbox serves it on loopback.
    reach = function_urls.client(run.sandbox_url, follow_redirects=False, timeout=30)
    browser = run.running.enter_context(Browser(DEMO_USER, client=reach))
    run.browser = browser
    landing = browser.approve(browser.open(link))
    if "id='confirm'" not in landing.text:
        raise StepFailed(f"the callback did not show its confirmation: HTTP {landing.status_code}")
    return landing


def confirm(run: Run, landing: httpx.Response) -> str:
    """Press the callback's confirm button in the same browser; returns who was linked."""
    assert run.browser is not None, "approve opened the browser"
    done = run.browser.confirm(landing)
    if done.status_code != 200 or "id='done'" not in done.text:
        raise StepFailed(f"the callback did not complete the authorization: HTTP {done.status_code}")
    found = re.search(r"linked for <strong>([^<]*)</strong>", done.text)
    return found.group(1) if found else "?"


def call_again(run: Run) -> None:
    profile, repos = call_tools(
        run.server, ("get_user_profile", {}), ("get_user_repos", {"per_page": 5, "sort": "updated"})
    )
    if profile.is_error or not (profile.structured_content or {}).get("login"):
        raise StepFailed(f"the profile did not come back: {text_of(profile)}")
    if repos.is_error:
        raise StepFailed(f"the repositories did not come back: {text_of(repos)}")
    for result in (profile, repos):
        click.echo("    " + text_of(result).replace("\n", "\n    "))
