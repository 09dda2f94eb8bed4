"""`oauth-callback` / `python -m callback` (the pyproject script): build the callback's state from config.json
(callback/setup.py) and serve the OAuth callback app (callback/app.py) with uvicorn, request heads bounded
(handoff/request_heads.py).

Only the command line is imported up front; the app (Starlette), the state's makings (boto3, the session store,
the sign-in) and uvicorn are imported once the options are parsed, so `--help` and a mistyped option answer at
once (issue 20)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from handoff.logs import configure_logging, log_options
from handoff.options import config_option

__all__ = ["main"]


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@config_option(envvar="OAUTH_CALLBACK_CONFIG")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="OAUTH_CALLBACK_HOST", help="Listen address.")
@click.option(
    "--port", default=8080, show_default=True, help="Must match the callback URL in stack.yaml (CALLBACK_URL)."
)
@click.option(
    "--session-store",
    type=click.Path(path_type=Path),
    envvar="OAUTH_SESSION_STORE",
    help="SQLite file shared with mcp-server [default: oauth-sessions.sqlite3 next to config.json].",
)
@click.option(
    "--sign-in/--no-sign-in",
    default=True,
    show_default=True,
    help="CUSTOM_JWT stacks: the person confirming must sign in with the gateway's identity provider as the user "
    "who started the authorization (protects against forwarded links).",
)
@log_options
def main(
    config_path: Path,
    host: str,
    port: int,
    session_store: Path | None,
    sign_in: bool,
    log_level: str,
    library_log_level: str,
) -> None:
    """Complete users' GitHub consent for the AgentCore stack (the gateway target's return URL).

    \b
    GET  /                          what this is, and its status (GET /healthz as JSON)
    GET  /oauth/start?link           the MCP server's one-time link: sign in, mark this browser, on to AgentCore
    GET  /oauth/callback?session_id  confirmation page naming the account being linked (same browser only)
    GET  /oauth/signed-in            return from the identity provider's sign-in (CUSTOM_JWT)
    POST /oauth/callback             CompleteResourceTokenAuth for the user who started it
    Set OAUTH_CALLBACK_SECRET (at least 32 random bytes) to share cookie/CSRF keys between several
    instances; OIDC_CLIENT_ID / OIDC_CLIENT_SECRET to sign in with another client of the same provider,
    whose registered redirect URIs must include the callback URL with /oauth/signed-in for /oauth/callback.
    Served over https (as configured in the callback URL), cookies are Secure and __Host- prefixed.
    """
    import uvicorn

    from callback.app import build_app
    from callback.setup import make_state
    from handoff.config import ConfigError
    from handoff.request_heads import head_settings
    from handoff.sessions import SessionStoreError

    configure_logging(log_level, library_level=library_log_level)  # after the imports: guard_handlers sees theirs
    try:
        state = make_state(
            config_path,
            session_store=session_store,
            csrf_secret=os.environ.get("OAUTH_CALLBACK_SECRET"),
            sign_in=sign_in,
        )
    except (ConfigError, SessionStoreError) as exc:
        click.secho(f"Error: {exc}", fg="red", err=True)
        sys.exit(1)
    click.echo(f"OAuth callback for stack {state.config.stack!r} on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    uvicorn.run(build_app(state), host=host, port=port, log_level=log_level, log_config=None, **head_settings())


if __name__ == "__main__":
    main()
