"""Inbound JWT checks of an AgentCore customJWTAuthorizer (botocore bedrock-agentcore-control
CustomJWTAuthorizerConfiguration), for the sandbox Runtime (sandbox.runtime_invoke).

- The discovery document at discoveryUrl ("used to fetch OpenID Connect configuration or authorization
  server metadata for validating incoming tokens", botocore model) gives `issuer` and `jwks_uri`; the token's
  signature is checked with the JWKS key its `kid` names, `iss` must equal the issuer, `exp` must be in the
  future (no leeway: UNCONFIRMED, the stricter reading), `sub` must be present.
- allowedAudience: `aud` (a string or a list) must hold one of them; allowedClients: the `client_id` claim
  must be one of them (AWS_FACTS.md; the devguide's Cognito examples). Both only when set.
- allowedScopes: every allowed scope must be in the token's `scope` claim. Whether AgentCore wants all or
  any of them is UNCONFIRMED ("An array of scopes that are allowed to access the token"); all is the
  stricter reading.
- customClaims, private endpoints, certificates and allowedWorkloadConfiguration are beyond the sandbox:
  refused plainly rather than ignored.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
import jwt

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384"]
UNSUPPORTED = (
    "customClaims",
    "privateEndpoint",
    "privateEndpointOverrides",
    "certificateConfigurations",
    "allowedWorkloadConfiguration",
)


class InvalidToken(Exception):
    pass


class JwtAuthorizer:
    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self._jwks: dict[str, jwt.PyJWKClient] = {}
        self._lock = threading.Lock()

    def metadata(self, config: dict[str, Any]) -> dict[str, Any]:
        """The discovery document of the authorizer's identity provider; ValueError if unreadable."""
        url = str(config.get("discoveryUrl", ""))
        try:
            document = self.http.get(url).raise_for_status().json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ValueError(f"the authorizer's discovery document at {url} could not be read: {exc}") from exc
        if not isinstance(document, dict) or not document.get("issuer") or not document.get("jwks_uri"):
            raise ValueError(f"the discovery document at {url} names no issuer or jwks_uri")
        return document

    def verify(self, token: str, config: dict[str, Any]) -> dict[str, Any]:
        """The token's claims if the authorizer accepts it; InvalidToken saying why not."""
        if unsupported := [name for name in UNSUPPORTED if config.get(name)]:
            raise InvalidToken(f"the sandbox does not support {', '.join(unsupported)} in a customJWTAuthorizer")
        try:
            discovery = self.metadata(config)
            with self._lock:
                client = self._jwks.setdefault(discovery["jwks_uri"], jwt.PyJWKClient(discovery["jwks_uri"]))
            key = client.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                issuer=discovery["issuer"],
                options={"verify_aud": False, "require": ["exp", "iss", "sub"]},
            )
        except (ValueError, jwt.PyJWTError) as exc:
            raise InvalidToken(f"invalid token: {exc}") from exc
        audiences = claims.get("aud", [])
        audiences = [audiences] if isinstance(audiences, str) else list(audiences or [])
        if config.get("allowedAudience") and not set(audiences) & set(config["allowedAudience"]):
            raise InvalidToken("the token's audience is not allowed")
        if config.get("allowedClients") and claims.get("client_id") not in config["allowedClients"]:
            raise InvalidToken("the token's client is not allowed")
        scopes = str(claims.get("scope", "")).split()
        if missing := [s for s in config.get("allowedScopes") or [] if s not in scopes]:
            raise InvalidToken(f"the token lacks the scopes {' '.join(missing)}")
        return claims
