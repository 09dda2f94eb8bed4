"""`oauth-callback` / `python -m callback` (the pyproject script): build the callback's state from config.json
and serve the OAuth callback app (callback/app.py) with uvicorn."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import boto3
import click
import uvicorn

from callback.app import build_app
from callback.csrf import Csrf
from callback.signin import OidcSignIn
from callback.state import CallbackState
from handoff.config import ConfigError, HandOff, config_option, load_config
from handoff.sessions import SqliteSessionStore, default_store_path


def make_state(
    config_path: Path, *, session_store: Path | None, csrf_secret: str | None, sign_in: bool = True
) -> CallbackState:
    config = load_config(config_path)
    return CallbackState(
        config=config,
        config_path=config_path,
        store=SqliteSessionStore(session_store or default_store_path(config_path)),
        identity_client=boto3.client("bedrock-agentcore", region_name=config.region),
        csrf=Csrf(csrf_secret.encode() if csrf_secret else None),
        signin=oidc_sign_in(config) if sign_in else None,
    )


def oidc_sign_in(config: HandOff) -> OidcSignIn | None:
    """The gateway's own identity provider (CUSTOM_JWT). OIDC_CLIENT_ID / OIDC_CLIENT_SECRET override the
    client, which must allow the redirect URI <callback base URL>/oauth/signed-in."""
    authorizer = config.gateway.authorizer if config.gateway else None
    if authorizer is None or authorizer.type != "CUSTOM_JWT" or not authorizer.discovery_url:
        return None
    client_id = os.environ.get("OIDC_CLIENT_ID") or next(
        iter(authorizer.allowed_clients or authorizer.allowed_audience), None
    )
    if not client_id:
        return None
    return OidcSignIn(
        discovery_url=authorizer.discovery_url, client_id=client_id, client_secret=os.environ.get("OIDC_CLIENT_SECRET")
    )


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@config_option(envvar="OAUTH_CALLBACK_CONFIG")
@click.option("--host", default="127.0.0.1", show_default=True)
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
@click.option(
    "--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info", show_default=True
)
def main(config_path: Path, host: str, port: int, session_store: Path | None, sign_in: bool, log_level: str) -> None:
    """Complete users' GitHub consent for the AgentCore stack (the gateway target's return URL).

    \b
    GET  /                          what this is, and its status (GET /healthz as JSON)
    GET  /oauth/callback?session_id  confirmation page naming the account being linked
    GET  /oauth/signed-in            return from the identity provider's sign-in (CUSTOM_JWT)
    POST /oauth/callback             CompleteResourceTokenAuth for the user who started it
    Set OAUTH_CALLBACK_SECRET to share cookie/CSRF keys between several instances;
    OIDC_CLIENT_ID / OIDC_CLIENT_SECRET to sign in with another client of the same provider.
    """
    logging.basicConfig(
        stream=sys.stderr, level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        state = make_state(
            config_path,
            session_store=session_store,
            csrf_secret=os.environ.get("OAUTH_CALLBACK_SECRET"),
            sign_in=sign_in,
        )
    except ConfigError as exc:
        click.secho(f"Error: {exc}", fg="red", err=True)
        sys.exit(1)
    click.echo(f"OAuth callback for stack {state.config.stack!r} on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    uvicorn.run(build_app(state), host=host, port=port, log_level=log_level)


if __name__ == "__main__":
    main()
