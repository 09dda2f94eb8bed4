"""`oauth-callback` / `python -m callback` (the pyproject script): build the callback's state from config.json
and serve the OAuth callback app (callback/app.py) with uvicorn."""

from __future__ import annotations

import ipaddress
import logging
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import click
import uvicorn

from callback.app import build_app
from callback.csrf import Csrf
from callback.keys import Keys, SecretTooShort
from callback.signin import OidcSignIn, Signer
from callback.state import CallbackState
from handoff.config import ConfigError, HandOff, config_option, load_config
from handoff.logs import configure_logging, log_options
from handoff.session_stores import open_store
from handoff.sessions import SessionStoreError

log = logging.getLogger("callback")


def make_state(
    config_path: Path, *, session_store: Path | None, csrf_secret: str | None, sign_in: bool = True
) -> CallbackState:
    """Raises ConfigError (config.json, OAUTH_CALLBACK_SECRET) or SessionStoreError, with the fix."""
    config = load_config(config_path)
    try:
        keys = Keys.from_secret(None if csrf_secret is None else csrf_secret.encode())
    except SecretTooShort as exc:
        raise ConfigError(str(exc)) from None
    public_url = config.callback_address
    if public_url is not None and not served_safely(public_url):
        raise ConfigError(
            f"the callback URL {public_url} is plain http on a host other than this machine: the cookie that ties "
            "an authorization to one browser could be planted by a neighbouring site or the network. Publish the "
            "callback over https (set CALLBACK_URL=https://..., run `reconcile apply`), or keep it on loopback"
        )
    signin = oidc_sign_in(config) if sign_in else None
    if sign_in and signin is None and custom_jwt(config):
        raise ConfigError(
            f"{config_path}: the gateway authorizes users with JWTs (CUSTOM_JWT), but no sign-in can be set up "
            "(the authorizer names no discovery URL or client, and OIDC_CLIENT_ID is unset): without it a forwarded "
            "link could be confirmed by anyone. Set OIDC_CLIENT_ID, or start with --no-sign-in knowingly"
        )
    if not sign_in and custom_jwt(config):
        log.warning(
            "--no-sign-in on a CUSTOM_JWT stack: whoever's browser opens a consent link first can confirm it; "
            "only the browser binding protects users"
        )
    if signin is not None and public_url is None:
        raise ConfigError(
            f"{config_path} names no callback URL (callback_url), which the sign-in's redirect URI is built from: "
            "set CALLBACK_URL and run `reconcile apply`, or start with --no-sign-in"
        )
    return CallbackState(
        config=config,
        config_path=config_path,
        store=open_store(table=config.session_table, region=config.region, config_path=config_path, path=session_store),
        identity_client=boto3.client("bedrock-agentcore", region_name=config.region),
        csrf=Csrf(keys.csrf),
        signer=Signer(keys.cookies),
        public_url=public_url,
        signin=signin,
    )


def served_safely(public_url: str) -> bool:
    """https, or http on a loopback host (browsers and this app's cookies treat those as this machine only)."""
    parts = urlsplit(public_url)
    if parts.scheme == "https":
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def custom_jwt(config: HandOff) -> bool:
    return config.gateway is not None and config.gateway.authorizer.type == "CUSTOM_JWT"


def oidc_sign_in(config: HandOff) -> OidcSignIn | None:
    """The gateway's own identity provider (CUSTOM_JWT). OIDC_CLIENT_ID / OIDC_CLIENT_SECRET override the
    client, which must have the redirect URI <callback URL, /oauth/callback -> /oauth/signed-in> registered."""
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
    configure_logging(log_level, library_level=library_log_level)
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
    uvicorn.run(build_app(state), host=host, port=port, log_level=log_level, log_config=None)


if __name__ == "__main__":
    main()
