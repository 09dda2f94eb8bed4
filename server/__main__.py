"""`mcp-server` / `python -m server`: serve the GitHub tools over streamable HTTP or stdio."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Literal

import click
import uvicorn

from handoff.config import config_option
from handoff.sessions import SqliteSessionStore, default_store_path
from server.app import Tools, build_server
from server.config import ConfigError, load_server_config
from server.gateway import GatewayClient
from server.identity import DEFAULT_TOKEN_HEADER, IdentitySettings


def make_tools(config_path: Path, *, session_store: Path | None, token_header: str, token_file: Path | None) -> Tools:
    config = load_server_config(config_path)
    identity = IdentitySettings(
        authorizer=config.gateway.authorizer.type,
        region=config.region,
        token_header=token_header,
        token_file=token_file,
    )
    store = SqliteSessionStore(session_store or default_store_path(config_path))
    return Tools(config, identity, store, GatewayClient(config.gateway.url, identity))


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@config_option(envvar="MCP_SERVER_CONFIG")
@click.option(
    "--transport",
    type=click.Choice(["http", "stdio"]),
    default="http",
    show_default=True,
    help="http: streamable HTTP (stateless, JSON), as AgentCore Runtime expects; stdio: for local clients.",
)
@click.option("--host", default="0.0.0.0", show_default=True, help="HTTP listen address.")
@click.option("--port", default=8000, show_default=True, help="HTTP port; the endpoint is /mcp, health is /healthz.")
@click.option(
    "--stateful",
    is_flag=True,
    help="Keep MCP sessions (default: stateless, as AgentCore Runtime expects). Stateless servers cannot see "
    "what a 2025-11-25 client declared at initialize, so such clients get the link as a normal result.",
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
    "--token-file",
    type=click.Path(path_type=Path),
    envvar="MCP_USER_TOKEN_FILE",
    help="stdio only: file holding the user's JWT (or set MCP_USER_TOKEN).",
)
@click.option(
    "--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info", show_default=True
)
def main(
    config_path: Path,
    transport: Literal["http", "stdio"],
    host: str,
    port: int,
    stateful: bool,
    session_store: Path | None,
    token_header: str,
    token_file: Path | None,
    log_level: str,
) -> None:
    """MCP server whose tools read the user's GitHub account through the AgentCore gateway.

    It never holds GitHub credentials: each call carries the user's own credential to the
    gateway (their JWT for a CUSTOM_JWT gateway; this server's AWS credentials for AWS_IAM).

    \b
    Tools: get_user_profile, get_user_repos (per_page, page, sort, direction, visibility).
    Examples:
      mcp-server                                  # http://0.0.0.0:8000/mcp
      MCP_USER_TOKEN=$JWT mcp-server --transport stdio
    """
    logging.basicConfig(
        stream=sys.stderr, level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        tools = make_tools(config_path, session_store=session_store, token_header=token_header, token_file=token_file)
    except ConfigError as exc:
        click.secho(f"Error: {exc}", fg="red", err=True)
        sys.exit(1)
    server = build_server(tools)
    if transport == "stdio":
        server.run("stdio")
        return
    app = server.streamable_http_app(stateless_http=not stateful, json_response=True, host=host)
    uvicorn.run(app, host=host, port=port, log_level=log_level)


if __name__ == "__main__":
    main()
