"""MCP authorization for a server run outside AgentCore Runtime (`--resource-url`): what the Runtime's JWT
authorizer does in front of the packaged server, done here with the MCP SDK's own resource-server parts.

- RFC 9728 protected resource metadata at `/.well-known/oauth-protected-resource<path>`, naming the
  gateway's identity provider as the authorization server and the gateway's `allowed_scopes`;
- a request without a valid bearer token gets 401 and `WWW-Authenticate: Bearer resource_metadata=...`, so
  MCP clients find the provider, register and sign in by themselves (MCP 2025-11-25 "Authorization");
- a token is valid when the provider signed it (its JWKS), it has not expired, it was issued for this
  server (`aud` is the resource URL: RFC 8707, and MCP's rule that a server accepts only tokens issued for
  it) and it holds the scopes. The gateway checks the same token again before any GitHub call.
"""

from __future__ import annotations

from typing import Any

import anyio
import jwt
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from pydantic import AnyHttpUrl

from handoff.config import AuthorizerConfig

DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384"]


class ResourceAuthError(Exception):
    """The server cannot act as an OAuth resource server for this gateway; the message says why."""


def auth_settings(authorizer: AuthorizerConfig, resource_url: str) -> AuthSettings:
    """The SDK's settings: the issuer from the gateway's discovery URL (OIDC Discovery: the issuer is the URL
    before /.well-known/openid-configuration), this server's URL, the scopes the gateway requires."""
    if authorizer.type != "CUSTOM_JWT" or not authorizer.discovery_url:
        raise ResourceAuthError(
            f"--resource-url needs a CUSTOM_JWT gateway (its identity provider signs users in), not {authorizer.type}"
        )
    if not authorizer.discovery_url.endswith(DISCOVERY_SUFFIX):
        raise ResourceAuthError(f"the gateway's discovery URL does not end in {DISCOVERY_SUFFIX}")
    return AuthSettings(
        issuer_url=AnyHttpUrl(authorizer.discovery_url.removesuffix(DISCOVERY_SUFFIX)),
        resource_server_url=AnyHttpUrl(resource_url),
        required_scopes=list(authorizer.allowed_scopes) or None,
        validate_token_resource=True,
    )


class JwtVerifier(TokenVerifier):
    """Checks a bearer JWT against the gateway's identity provider (discovery document, then its JWKS)."""

    def __init__(self, discovery_url: str) -> None:
        self.discovery_url = discovery_url
        self._jwks: jwt.PyJWKClient | None = None
        self._issuer: str | None = None

    async def verify_token(self, token: str) -> AccessToken | None:
        return await anyio.to_thread.run_sync(self._verify, token)

    def _verify(self, token: str) -> AccessToken | None:
        try:
            issuer, keys = self._provider()
            key = keys.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                issuer=issuer,
                options={"verify_aud": False, "require": ["exp", "iss", "sub"]},  # the SDK compares `resource`
            )
        except (jwt.PyJWTError, OSError, ValueError, KeyError):
            return None
        audience = claims.get("aud")
        resource = audience if isinstance(audience, str) else None  # one audience: the resource it was issued for
        return AccessToken(
            token=token,
            client_id=str(claims.get("client_id", "")),
            scopes=str(claims.get("scope", "")).split(),
            expires_at=int(claims["exp"]),
            resource=resource,
            subject=str(claims["sub"]),
        )

    def _provider(self) -> tuple[str, jwt.PyJWKClient]:
        """The issuer and its keys, read on first use (a server starts without reaching the provider)."""
        if self._jwks is None or self._issuer is None:
            import httpx

            document = httpx.get(self.discovery_url, timeout=10).raise_for_status().json()
            self._issuer, self._jwks = str(document["issuer"]), jwt.PyJWKClient(str(document["jwks_uri"]))
        return self._issuer, self._jwks
