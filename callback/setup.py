"""The callback's `CallbackState` built from config.json and the environment: the session store, the AgentCore
Identity client, the cookie/CSRF keys and the sign-in with the gateway's identity provider, with the refusals
that keep an unsafe deployment from starting. Called by callback/__main__.py once the options are parsed, and
by the tests."""

from __future__ import annotations

import ipaddress
import logging
import os
from pathlib import Path
from urllib.parse import urlsplit

import boto3

from callback.csrf import Csrf
from callback.keys import Keys, SecretTooShort
from callback.signin import OidcSignIn, Signer
from callback.state import CallbackState
from handoff.config import ConfigError, HandOff, load_config
from handoff.session_stores import open_store

log = logging.getLogger("callback")


def make_state(
    config_path: Path, *, session_store: Path | None, csrf_secret: str | None, sign_in: bool = True
) -> CallbackState:
    """Raises ConfigError (config.json, OAUTH_CALLBACK_SECRET) or SessionStoreError, with the fix."""
    return state_from(
        load_config(config_path),
        config_path=config_path,
        session_store=session_store,
        csrf_secret=csrf_secret,
        sign_in=sign_in,
    )


def state_from(
    config: HandOff, *, config_path: Path, session_store: Path | None, csrf_secret: str | None, sign_in: bool = True
) -> CallbackState:
    """`make_state` for a configuration read from elsewhere (callback/lambda_handler.py: SSM Parameter Store);
    `config_path` names where it came from, in messages and on the home page."""
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
