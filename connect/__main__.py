"""`mcp-connect`: sign in once, then relay MCP from stdio to the stack's AgentCore Runtime (SigV4 door)."""

from __future__ import annotations

import sys
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import httpx

from connect.oauth import DEFAULT_SCOPE, OAuthClient, Provider, SignInFailed, SignInRequired, TokenSource
from connect.relay import Relay, stdin_lines
from connect.signing import SigV4TokenAuth, aws_credentials
from connect.store import HOME_VARIABLE, open_store
from handoff.config import ConfigError, HandOff, load_config

HELP = f"""Connect an MCP client (Claude Desktop, Claude Code, Cursor, VS Code) to the stack's MCP server on
AgentCore Runtime, as yourself.

\b
Put one stdio entry in your client and nothing else, no token:
  "github": {{"command": "uvx", "args": ["--from", "/path/to/agentcore-stack", "mcp-connect",
             "--config", "/path/to/config.json", "--profile", "my-aws-profile"]}}
(--from takes this project's folder or git URL; "command": "mcp-connect" when it is installed).
config.json is what `reconcile apply` wrote; --profile is the AWS profile to sign with (a client
started from the dock has no AWS_* variables).

\b
On first use it opens your browser to sign in to the stack's identity provider (authorization code with
PKCE, answered on a loopback port), keeps the refresh token in your OS keyring (else a 0600 file under
your config folder, or ${HOME_VARIABLE}), renews the access token before it expires and sends it with
every request, signed with SigV4 under your own AWS credentials (--profile, or the environment).

\b
Commands:
  mcp-connect [serve]   relay MCP on stdin/stdout (the default; signs in on first use)
  mcp-connect login     sign in now (again after "sign in again")
  mcp-connect logout    forget the sign-in
"""


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class Options:
    config: Path
    profile: str | None
    region: str | None
    url: str | None
    discovery_url: str | None
    client_id: str | None
    scope: str | None
    resource: str | None
    keyring: bool


def _options(function: Callable[..., Any]) -> Callable[..., Any]:
    decorators = [
        click.option(
            "--config",
            "config",
            type=click.Path(path_type=Path),
            default=None,
            help="The stack's config.json from `reconcile apply` (default ./config.json).",
        ),
        click.option("--profile", default=None, help="AWS profile to sign requests with (default: the environment)."),
        click.option("--region", default=None, help="AWS region (default: config.json's)."),
        click.option("--url", default=None, help="The runtime's invocation URL (default: config.json's runtime)."),
        click.option(
            "--issuer",
            "discovery_url",
            default=None,
            help="The identity provider: its issuer or discovery URL (default: config.json's gateway "
            "authorizer discovery URL).",
        ),
        click.option(
            "--client-id",
            default=None,
            help="The OAuth client to sign in as (default: config.json's single allowed client; "
            "none: dynamic registration).",
        ),
        click.option(
            "--scope",
            default=None,
            help=f"Scopes to ask for (default {DEFAULT_SCOPE!r} and config.json's gateway allowed_scopes).",
        ),
        click.option("--resource", default=None, help="RFC 8707 resource to ask tokens for (default: none)."),
        click.option(
            "--keyring/--no-keyring",
            "keyring",
            default=None,
            help="Keep the sign-in in the OS keyring (default) or in the 0600 file.",
        ),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def _merged(ctx: click.Context, given: dict[str, Any]) -> Options:
    parent: dict[str, Any] = ctx.obj or {}
    values = {k: given.get(k) if given.get(k) is not None else parent.get(k) for k in {*parent, *given}}
    return Options(
        config=values.get("config") or Path("config.json"),
        profile=values.get("profile"),
        region=values.get("region"),
        url=values.get("url"),
        discovery_url=values.get("discovery_url"),
        client_id=values.get("client_id"),
        scope=values.get("scope"),
        resource=values.get("resource"),
        keyring=values.get("keyring") is not False,
    )


def _hand_off(options: Options) -> HandOff | None:
    try:
        return load_config(options.config)
    except ConfigError:
        if options.url and options.region and options.discovery_url:
            return None
        raise


def provider_of(options: Options, hand_off: HandOff | None) -> Provider:
    authorizer = hand_off.gateway.authorizer if hand_off and hand_off.gateway else None
    discovery = options.discovery_url or (authorizer.discovery_url if authorizer else None)
    if not discovery:
        raise click.UsageError(
            "config.json names no identity provider (its gateway has no CUSTOM_JWT authorizer): pass --issuer URL"
        )
    if "/.well-known/" not in discovery:
        discovery = discovery.rstrip("/") + "/.well-known/openid-configuration"
    client_id = options.client_id
    if client_id is None and authorizer and len(authorizer.allowed_clients) == 1:
        client_id = authorizer.allowed_clients[0]
    # The scopes the gateway requires (the OAuth door's API scope) come with the sign-in by default.
    scope = options.scope or " ".join([DEFAULT_SCOPE, *(authorizer.allowed_scopes if authorizer else [])])
    return Provider(discovery, client_id, scope=scope, resource=options.resource)


def token_source(
    options: Options,
    *,
    http: httpx.Client,
    interactive: bool = True,
    open_browser: Callable[[str], object] = lambda url: webbrowser.open(url),
    say: Callable[[str], None] = _say,
) -> TokenSource:
    hand_off = _hand_off(options)
    client = OAuthClient(provider_of(options, hand_off), http)
    store = open_store(say=say, use_keyring=options.keyring)
    return TokenSource(client, store, say, open_browser=open_browser, interactive=interactive)


@click.group(help=HELP, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@_options
@click.pass_context
def main(ctx: click.Context, /, **given: Any) -> None:
    ctx.obj = given
    if ctx.invoked_subcommand is None:
        ctx.invoke(serve)


@main.command(help="Relay MCP between stdin/stdout and the runtime (the default command).")
@_options
@click.pass_context
def serve(ctx: click.Context, /, **given: Any) -> None:
    options = _merged(ctx, given)
    try:
        hand_off = _hand_off(options)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    url = options.url or (hand_off.runtime.invocation_url if hand_off and hand_off.runtime else None)
    if not url:
        raise click.ClickException(
            f"{options.config} names no runtime: apply a stack with an agent_runtime, or pass --url"
        )
    region = options.region or (hand_off.region if hand_off else None) or "us-east-1"
    try:
        credentials = aws_credentials(options.profile, region)
    except Exception as exc:  # botocore's ProfileNotFound and the like: a message, not a trace
        raise click.ClickException(str(exc)) from exc
    with httpx.Client(timeout=30) as idp, httpx.Client(timeout=300) as runtime:
        tokens = token_source(options, http=idp)
        runtime.auth = SigV4TokenAuth(credentials=credentials, region=region, token=tokens.access_token)
        Relay(url, runtime, sys.stdout, _say).serve(stdin_lines())


@main.command(help="Sign in now in your browser and keep the sign-in (again after a 'sign in again').")
@_options
@click.pass_context
def login(ctx: click.Context, /, **given: Any) -> None:
    options = _merged(ctx, given)
    try:
        with httpx.Client(timeout=30) as idp:
            where = token_source(options, http=idp).login()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    except (SignInFailed, SignInRequired) as exc:
        raise click.ClickException(str(exc)) from exc
    _say(f"mcp-connect: signed in; the sign-in is kept in {where}")


@main.command(help="Forget the sign-in (the refresh token kept in the keyring or the fallback file).")
@_options
@click.pass_context
def logout(ctx: click.Context, /, **given: Any) -> None:
    options = _merged(ctx, given)
    try:
        with httpx.Client(timeout=30) as idp:
            forgotten = token_source(options, http=idp, interactive=False).logout()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    _say("mcp-connect: signed out" if forgotten else "mcp-connect: no sign-in was kept")


if __name__ == "__main__":
    main()
