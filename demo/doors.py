"""How the demo user signs in and reaches the server, through the two doors of README "Doors", as a real
user would, on the sandbox identity provider's page in headless Chromium (demo/chromium.py; the demo's httpx
`Browser` stands in where the machine has no Chromium: `signs_in_with` says which):

- SigV4 door: `mcp-connect login` (authorization code + PKCE, answered on a loopback port), its sign-in kept
  in the demo's folder, not the OS keyring; with `--runtime` the client then runs `mcp-connect` over stdio,
  which renews the token and signs each request with the sandbox's AWS keys.
- OAuth door: the MCP SDK's own OAuth client, given only the runtime's URL, follows the 401 to the
  metadata, registers itself and signs in; its tokens are kept for the run's later calls.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import click
import httpx

from demo import chromium
from demo.browser import Browser

if TYPE_CHECKING:
    from mcp.client.auth import OAuthClientProvider
    from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

LOOPBACK_REDIRECT = "http://127.0.0.1/callback"
"""Registered without a port for the sandbox's pre-registered client: any loopback port matches (RFC 8252
section 7.3), as a real identity provider would be set up for mcp-connect."""
NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
"""The demo never touches the machine's real keyring: mcp-connect falls back to its 0600 file."""


def signs_in_with() -> str:
    return "headless Chromium" if chromium.available() else "the demo's httpx browser (no Chromium on this machine)"


def idp_sign_in(person: str, authorization_url: str, *, answer_redirect: bool) -> str:
    """Sign in on the identity provider's page (chromium.sign_in, or the httpx stand-in the same way)."""
    if chromium.available():
        return chromium.sign_in(person, authorization_url, answer_redirect=answer_redirect)
    with Browser(person) as browser:
        landing = browser.sign_in(authorization_url)
        if not answer_redirect:
            browser.open(landing)
        return landing


def connect_home(workdir: Path) -> Path:
    return workdir / "mcp-connect"


def connect_login(config: Path, workdir: Path, user: str) -> str:
    """`mcp-connect login` for `user` (its sign-in kept under the demo's folder); returns the access token."""
    from connect.__main__ import Options, token_source

    os.environ.update({"MCP_CONNECT_HOME": str(connect_home(workdir)), **NO_KEYRING})
    options = Options(config, None, None, None, None, None, None, None, keyring=False)
    with httpx.Client(timeout=30) as idp:

        def open_browser(url: str) -> object:  # the user's browser: sign in, then back to mcp-connect's port
            return idp_sign_in(user, url, answer_redirect=False)

        tokens = token_source(options, http=idp, open_browser=open_browser, say=lambda m: click.echo(f"    {m}"))
        tokens.login()
        return tokens.access_token()


def connect_params(config: Path, workdir: Path, aws_environ: dict[str, str]) -> tuple[str, list[str], dict[str, str]]:
    """`mcp-connect --config config.json` as a client entry starts it: the user's AWS keys (the sandbox's) in
    the environment, not AWS_ENDPOINT_URL (the invocation URL is in config.json)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {**aws_environ, "AWS_EC2_METADATA_DISABLED": "true", "MCP_CONNECT_HOME": str(connect_home(workdir))}
    env |= NO_KEYRING
    env.pop("AWS_ENDPOINT_URL", None)
    return sys.executable, ["-m", "connect", "--config", str(config)], env


@dataclass
class OAuthDoor:
    """The runtime's URL and what the user's MCP client keeps between sessions (its registration, tokens)."""

    url: str
    user: str
    tokens: OAuthToken | None = None
    client: OAuthClientInformationFull | None = None
    signed_in: list[str] = field(default_factory=list)
    """The subjects the client signed in as (one entry per sign-in)."""
    browser: Callable[[str, str], str] | None = None
    """How the user signs in: (person, authorization URL) -> the redirect URI with the code it lands on, not
    followed (the client's listener is not running). Default: `idp_sign_in`."""

    def provider(self) -> OAuthClientProvider:
        """The MCP SDK's OAuthClientProvider for one session; the storage is this object."""
        from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
        from mcp.shared.auth import OAuthClientMetadata
        from pydantic import AnyUrl

        landed: dict[str, str] = {}

        async def redirect(authorization_url: str) -> None:
            import anyio

            def sign_in() -> None:
                back = (self.browser or _answered)(self.user, authorization_url)
                landed.update({k: v[0] for k, v in parse_qs(urlsplit(back).query).items()})
                self.signed_in.append(self.user)

            await anyio.to_thread.run_sync(sign_in)

        async def callback() -> AuthorizationCodeResult:
            return AuthorizationCodeResult(code=landed["code"], state=landed["state"], iss=landed.get("iss"))

        return OAuthClientProvider(
            server_url=self.url,
            client_metadata=OAuthClientMetadata(
                redirect_uris=[AnyUrl("http://127.0.0.1:33418/callback")],
                grant_types=["authorization_code", "refresh_token"],
                client_name="reconcile demo",
            ),
            storage=_Storage(self),
            redirect_handler=redirect,
            callback_handler=callback,
        )


def _answered(person: str, authorization_url: str) -> str:
    return idp_sign_in(person, authorization_url, answer_redirect=True)


class _Storage:
    """The SDK's TokenStorage over an OAuthDoor (its fields outlive each asyncio.run)."""

    def __init__(self, door: OAuthDoor) -> None:
        self.door = door

    async def get_tokens(self) -> OAuthToken | None:
        return self.door.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.door.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.door.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.door.client = client_info
