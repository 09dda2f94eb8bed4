"""`mcp-server` / `python -m server`: serve the GitHub tools over streamable HTTP or stdio.

Only the command line is imported up front; the server (MCP SDK, models, session store, uvicorn) is
imported once the options are parsed, so `--help` and a mistyped option answer at once (issue 20)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Literal

import click
from click.core import ParameterSource

from handoff.logs import configure_logging, log_options
from handoff.options import config_option
from server.options import (
    ALL,
    DEFAULT_TOKEN_HEADER,
    TOOLSETS,
    TOOLSETS_VARIABLE,
    WRITES_VARIABLE,
    HttpOptions,
    ToolChoice,
    ToolsetsRefused,
    WorkersRefused,
    check_workers,
    split_list,
)

__all__ = ["main"]


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@config_option(envvar="MCP_SERVER_CONFIG")
@click.option(
    "--transport",
    type=click.Choice(["http", "stdio"]),
    default="http",
    show_default=True,
    help="http: streamable HTTP (stateless, JSON), as AgentCore Runtime expects; stdio: for local clients.",
)
@click.option("--host", default="127.0.0.1", show_default=True, envvar="MCP_SERVER_HOST", help="HTTP listen address.")
@click.option("--port", default=8000, show_default=True, help="HTTP port; the endpoint is /mcp, health is /healthz.")
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    envvar="MCP_ALLOWED_HOSTS",
    metavar="NAME[:PORT]",
    help="Host header values accepted besides loopback names (repeat, or comma-separate; NAME:* for any port). "
    "Other Host headers get 421 and other Origins 403 (DNS-rebinding protection, always on).",
)
@click.option(
    "--allowed-origin",
    "allowed_origins",
    multiple=True,
    envvar="MCP_ALLOWED_ORIGINS",
    metavar="URL",
    help="Origin header values accepted besides loopback origins (repeat, or comma-separate).",
)
@click.option(
    "--single-user",
    is_flag=True,
    envvar="MCP_SINGLE_USER",
    help="State that only you can reach this server (an authenticating proxy, an AgentCore Runtime only you may "
    "invoke: the stack's agent_runtime sets it from `single_user: true`). Required to listen beyond loopback "
    "when the gateway uses AWS_IAM or NONE, whose calls carry this server's own credentials, so every caller "
    "shares one GitHub link.",
)
@click.option(
    "--resource-url",
    envvar="MCP_RESOURCE_URL",
    metavar="URL",
    help="The URL clients reach this server at (e.g. https://mcp.example.com/mcp), to serve as an OAuth resource "
    "server outside AgentCore Runtime: RFC 9728 metadata naming the gateway's identity provider, and 401 with its "
    "challenge for a request without a valid token issued for this URL, so MCP clients sign in by themselves. "
    "CUSTOM_JWT gateways only.",
)
@click.option(
    "--stateful",
    is_flag=True,
    help="Keep MCP sessions (default: stateless, as AgentCore Runtime expects). Stateless servers cannot see "
    "what a 2025-11-25 client declared at initialize, so such clients get the link as a normal result.",
)
@click.option(
    "--workers",
    type=int,
    default=1,
    show_default=True,
    envvar="MCP_SERVER_WORKERS",
    help="HTTP worker processes (stateless only; they share the SQLite session store). One is enough for "
    "hundreds of calls per second; more use more cores.",
)
@click.option(
    "--session-store",
    type=click.Path(path_type=Path),
    envvar="OAUTH_SESSION_STORE",
    help="SQLite file shared with oauth-callback [default: oauth-sessions.sqlite3 next to config.json].",
)
@click.option(
    "--token-header",
    default=DEFAULT_TOKEN_HEADER,
    show_default=True,
    envvar="MCP_TOKEN_HEADER",
    help="Header carrying the user's JWT when Authorization holds SigV4 (mcp-proxy-for-aws --header).",
)
@click.option(
    "--toolsets",
    multiple=True,
    envvar=TOOLSETS_VARIABLE,
    show_envvar=True,
    metavar="NAME[,NAME...]",
    help=f"Offer only the gateway tools of these toolsets (repeat, or comma-separate): {', '.join(TOOLSETS)} - the "
    f"OpenAPI document's first tags, so a stack's own document may add more - or {ALL} [default: {ALL}]. "
    "get_user_profile, get_user_repos and search_tools are always offered.",
)
@click.option(
    "--allow-writes",
    is_flag=True,
    envvar=WRITES_VARIABLE,
    show_envvar=True,
    help="Also offer the tools that change GitHub (any method but GET: create_issue, update_issue, "
    "add_issue_comment, ...). Each write first asks the user to confirm what it will do (form elicitation) where "
    "the client can be asked; where it cannot, the write goes ahead. Default: read-only, writes neither listed nor "
    "callable.",
)
@click.option(
    "--token-file",
    type=click.Path(path_type=Path),
    envvar="MCP_USER_TOKEN_FILE",
    help="stdio only: file holding the user's JWT (or set MCP_USER_TOKEN).",
)
@log_options
def main(
    config_path: Path,
    transport: Literal["http", "stdio"],
    host: str,
    port: int,
    allowed_hosts: tuple[str, ...],
    allowed_origins: tuple[str, ...],
    single_user: bool,
    resource_url: str | None,
    stateful: bool,
    workers: int,
    session_store: Path | None,
    token_header: str,
    toolsets: tuple[str, ...],
    allow_writes: bool,
    token_file: Path | None,
    log_level: str,
    library_log_level: str,
) -> None:
    """MCP server whose tools act on the user's GitHub account through the AgentCore gateway.

    It never holds GitHub credentials: each call carries the user's own credential to the
    gateway (their JWT for a CUSTOM_JWT gateway; this server's AWS credentials for AWS_IAM).

    Its tools are the gateway's: one per operation of the OpenAPI document (openapi/github.yaml), named by its
    x-mcp-name and grouped into toolsets by its first tag (--toolsets chooses); get_user_profile and
    get_user_repos keep curated output, and search_tools finds a tool by what it does. Read-only by default:
    tools that change GitHub are offered only with --allow-writes, and each asks the user to confirm first
    where the client can be asked.

    It listens on 127.0.0.1 unless --host says otherwise, and answers only requests whose Host and Origin
    are loopback names or allowed with --allowed-host / --allowed-origin. When the gateway uses AWS_IAM
    (or NONE), calls carry this server's own AWS identity, so every caller shares one GitHub link: it refuses
    a non-loopback --host unless --single-user states that only one person can reach it.

    On AgentCore Runtime the configuration comes in the environment variable MCP_SERVER_HANDOFF (set by
    the stack's agent_runtime from its hand_off: list), which takes the place of --config.

    \b
    Examples:
      mcp-server                                  # http://127.0.0.1:8000/mcp, read-only, every toolset
      mcp-server --toolsets repos,issues --allow-writes   # those two toolsets, writes confirmed by the user
      mcp-server --host 0.0.0.0 --allowed-host mcp.example.com   # CUSTOM_JWT behind a load balancer
      mcp-server --host 0.0.0.0 --allowed-host HOST   # AgentCore Runtime, CUSTOM_JWT gateway
      MCP_USER_TOKEN=$JWT mcp-server --transport stdio
    """
    import uvicorn

    from handoff.config import HAND_OFF_VARIABLE
    from handoff.sessions import SessionStoreError
    from server.app import build_server
    from server.config import ConfigError
    from server.hardening import ExposureError, check_bind
    from server.resource_auth import ResourceAuthError, auth_settings
    from server.serving import build_app, uvicorn_target
    from server.setup import make_tools

    configure_logging(log_level, library_level=library_log_level)  # after the imports: guard_handlers sees theirs
    source = click.get_current_context().get_parameter_source("config_path")
    if HAND_OFF_VARIABLE in os.environ and source is ParameterSource.COMMANDLINE:
        click.secho(
            f"Warning: {HAND_OFF_VARIABLE} is set, so --config {config_path} is not read", fg="yellow", err=True
        )
    choice = ToolChoice.parse(toolsets, writes=allow_writes)
    try:
        check_workers(workers, transport=transport, stateful=stateful)
        tools = make_tools(
            config_path, session_store=session_store, token_header=token_header, token_file=token_file, choice=choice
        )
        if transport == "http":
            check_bind(host, tools.config.gateway.authorizer.type, single_user=single_user)
            if resource_url:
                auth_settings(tools.config.gateway.authorizer, resource_url)  # refused before listening
    except ToolsetsRefused as exc:  # a bad value, as click words its own refusals (exit 2)
        context = click.get_current_context()
        option = next(p for p in context.command.params if p.name == "toolsets")
        raise click.BadParameter(str(exc), ctx=context, param=option) from None
    except (WorkersRefused, ConfigError, SessionStoreError, ExposureError, ResourceAuthError) as exc:
        click.secho(f"Error: {exc}", fg="red", err=True)
        sys.exit(1)
    if transport == "stdio":
        build_server(tools).run("stdio")
        return
    options = HttpOptions(
        config_path=str(config_path.resolve()),
        session_store=str(session_store.resolve()) if session_store else None,
        token_header=token_header,
        token_file=str(token_file.resolve()) if token_file else None,
        allowed_hosts=split_list(allowed_hosts),
        allowed_origins=split_list(allowed_origins),
        stateful=stateful,
        log_level=log_level,
        library_log_level=library_log_level,
        resource_url=resource_url,
        toolsets=sorted(choice.toolsets) if choice.toolsets is not None else None,
        allow_writes=choice.writes,
    )
    target, settings = uvicorn_target(options, build_app(options, tools) if workers == 1 else None, workers)
    uvicorn.run(target, host=host, port=port, **settings)


if __name__ == "__main__":
    main()
