"""The sandbox's identity provider: an OpenID Connect issuer and OAuth 2.1 authorization server for MCP
clients (MCP 2025-11-25 "Authorization"), at `<sandbox>/oidc`.

    GET  /oidc/.well-known/openid-configuration       metadata (OIDC Discovery 1.0 section 4: appended)
    GET  /.well-known/openid-configuration/oidc       the same (RFC 8414 section 5: inserted)
    GET  /.well-known/oauth-authorization-server/oidc the same (RFC 8414 section 3.1: inserted)
    GET  /oidc/.well-known/oauth-authorization-server the same (appended, for clients that build it so)
    GET  /oidc/jwks                                   the signing key (RS256)
    GET  /oidc/authorize                              the sign-in page (pick alice, bob or carol)
    POST /oidc/authorize                              its form: a redirect with code, state and iss
    POST /oidc/token   form                           authorization_code (PKCE S256) or refresh_token
    POST /oidc/token   JSON {"user", "client_id"}     a test token without any sign-in (sandbox-only)
    POST /oidc/register                               RFC 7591 dynamic registration (public clients)
    POST /oidc/__revoke JSON {"user", "client_id"?}   ends the user's refresh tokens (sandbox-only)

Clients and redirect URIs: sandbox.oauth_clients. Codes and refresh tokens: sandbox.oauth_grants.

Authorization requests (OAuth 2.1 section 4.1.1, RFC 6749 section 4.1.2.1): an unknown client or a redirect
URI not registered for it gets an error page and no redirect; every other fault is sent back to the client
as `error=` with the state: a response_type other than code (unsupported_response_type), a missing
code_challenge or a method other than S256 (invalid_request; a missing method means plain, RFC 7636 section
4.3, which OAuth 2.1 section 7.5.1 lets a server refuse), a missing state (invalid_request: the stricter
reading of "RECOMMENDED"), a scope outside scopes_supported (invalid_scope), a resource that is not one
absolute URI without a fragment (invalid_target, RFC 8707 section 2). A parameter sent twice is
invalid_request (RFC 6749 section 3.1). The answer carries `iss` (RFC 9207).

Tokens: the access token is a JWT with iss, sub (the user), aud = the RFC 8707 resource when one was
authorized, else the client_id, client_id (what AgentCore's customJWTAuthorizer compares with
allowedClients), username, scope, iat, exp, jti. A token request naming a resource other than the authorized
one is refused with invalid_target (RFC 8707 section 2.2). With scope openid an ID token comes too (aud =
client_id, the nonce; OpenID Connect Core section 3.1.3.3). Access tokens live SANDBOX_OIDC_TOKEN_LIFETIME
seconds (read per request; default 3600). Token answers are `Cache-Control: no-store` (RFC 6749 section 5.1).
"""

from __future__ import annotations

import html
import json
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from sandbox.errors import validation
from sandbox.github import USERS as SIGN_IN_USERS
from sandbox.github import page as _page
from sandbox.oauth_clients import Client, ClientProblem, ClientRegistry, registered_redirect_uris
from sandbox.oauth_grants import CHALLENGE, Authorization, GrantError, Grants

__all__ = ["DEFAULT_CLIENT", "OidcIssuer", "registered_redirect_uris", "token_lifetime"]

DEFAULT_CLIENT = "sandbox-demo"
TOKEN_LIFETIME = 3600
OIDC_SCOPES = ("openid", "profile", "email")
API_SCOPES = "github-mcp/tools"
"""Default of SANDBOX_OIDC_API_SCOPES: the scopes of the APIs this provider issues tokens for, as an IdP's
resource server defines them (Cognito: `<resource server>/<scope>`; Entra ID: `api://<app>/<scope>`). A stack
whose runtime and gateway both require such a scope (allowedScopes) accepts only tokens issued for it."""


def api_scopes() -> tuple[str, ...]:
    """SANDBOX_OIDC_API_SCOPES (comma-separated), read per request."""
    value = os.environ.get("SANDBOX_OIDC_API_SCOPES", API_SCOPES)
    return tuple(scope.strip() for scope in value.split(",") if scope.strip())


def scopes() -> tuple[str, ...]:
    """What scopes_supported advertises and the authorization endpoint accepts. offline_access is accepted too
    and changes nothing (refresh tokens follow the client's grant_types); it is not advertised, so that MCP
    clients do not add it (and prompt=consent) on their own."""
    return (*OIDC_SCOPES, *api_scopes())


FORM_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "scope",
)
SINGLE = (*FORM_FIELDS, "resource", "login_hint")


def token_lifetime() -> int:
    """Seconds an access token lives: SANDBOX_OIDC_TOKEN_LIFETIME, read per request (default 3600)."""
    value = os.environ.get("SANDBOX_OIDC_TOKEN_LIFETIME") or str(TOKEN_LIFETIME)
    if not value.isdigit() or int(value) <= 0:
        raise validation(f"SANDBOX_OIDC_TOKEN_LIFETIME must be a positive number of seconds, not {value!r}")
    return int(value)


@dataclass(frozen=True)
class _Request:
    """A checked authorization request."""

    client: Client
    redirect_uri: str
    state: str
    nonce: str
    challenge: str
    scope: str
    resource: str | None


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


class OidcIssuer:
    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex[:16]
        self.clients = ClientRegistry()
        self.grants = Grants()

    def issuer(self, base_url: str) -> str:
        return f"{base_url}/oidc"

    def discovery(self, base_url: str) -> dict[str, Any]:
        """RFC 8414 section 2 and OpenID Connect Discovery 1.0 section 3 in one document."""
        issuer = self.issuer(base_url)
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "registration_endpoint": f"{issuer}/register",
            "jwks_uri": f"{issuer}/jwks",
            "scopes_supported": list(scopes()),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "client_id_metadata_document_supported": True,
            "authorization_response_iss_parameter_supported": True,
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def jwks(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    # the sign-in page and its form
    def sign_in_page(self, base_url: str, args: MultiDict[str, str]) -> Response:
        try:
            request = self._authorization_request(base_url, args)
        except _Refused as refused:
            return refused.response
        hint = args.get("login_hint", "")
        options = "".join(f'<option value="{u}"{" selected" if u == hint else ""}>{u}</option>' for u in SIGN_IN_USERS)
        values = {k: args.get(k, "") for k in FORM_FIELDS}  # as checked: response_type code, method S256
        if request.resource:
            values["resource"] = request.resource
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(v, quote=True)}">' for k, v in values.items()
        )
        asking = html.escape(request.client.name or request.client.client_id)
        target = f" for <code>{html.escape(request.resource)}</code>" if request.resource else ""
        body = (
            f"<p><strong>{asking}</strong> (client <code>{html.escape(request.client.client_id)}</code>) asks you to "
            f"sign in{target}; you return to <code>{html.escape(request.redirect_uri)}</code>.</p>"
            f'<form method="post" action="/oidc/authorize">{hidden}<label>User <select name="user" id="user">{options}'
            '</select></label> <button type="submit" id="sign-in">Sign in</button></form>'
        )
        return _page("Sign in (sandbox identity provider)", body)

    def sign_in(self, base_url: str, form: MultiDict[str, str]) -> Response:
        """The form's answer: checked again as a new request (its hidden fields can be edited)."""
        try:
            request = self._authorization_request(base_url, form)
        except _Refused as refused:
            return refused.response
        user = form.get("user", "")
        if user not in SIGN_IN_USERS:
            return _page("Bad sign-in", "<p>Unknown user.</p>", 400)
        authorization = Authorization(
            user=user,
            client_id=request.client.client_id,
            redirect_uri=request.redirect_uri,
            scope=request.scope,
            resource=request.resource,
            nonce=request.nonce,
            refreshable=request.client.refreshable,
        )
        code = self.grants.issue_code(authorization, request.challenge)
        return _redirect(request.redirect_uri, code=code, state=request.state, iss=self.issuer(base_url))

    def _authorization_request(self, base_url: str, params: MultiDict[str, str]) -> _Request:
        client_id, redirect_uri = params.get("client_id", ""), params.get("redirect_uri", "")
        try:
            client = self.clients.resolve(client_id)
        except ClientProblem as problem:
            raise _Refused(_page("Bad sign-in request", f"<p>{html.escape(problem.message)}</p>", 400)) from problem
        if not client.allows(redirect_uri) or len(params.getlist("redirect_uri")) > 1:
            # RFC 6749 section 4.1.2.1: never redirect to an invalid redirection URI.
            raise _Refused(
                _page(
                    "Bad sign-in request",
                    f"<p>redirect_uri {html.escape(redirect_uri)} is not registered for client "
                    f"{html.escape(client_id)}.</p>",
                    400,
                )
            )
        state = params.get("state", "")

        def refuse(error: str, description: str) -> _Refused:
            return _Refused(
                _redirect(
                    redirect_uri, error=error, error_description=description, state=state, iss=self.issuer(base_url)
                )
            )

        if twice := [k for k in SINGLE if len(params.getlist(k)) > 1 and k != "resource"]:
            raise refuse("invalid_request", f"parameters sent more than once: {', '.join(twice)}")
        if params.get("response_type") != "code":
            raise refuse("unsupported_response_type", "only response_type=code is supported")
        challenge = params.get("code_challenge", "")
        if not challenge:
            raise refuse("invalid_request", "code_challenge is required (PKCE)")
        if params.get("code_challenge_method") != "S256" or not CHALLENGE.fullmatch(challenge):
            raise refuse("invalid_request", "code_challenge_method must be S256 with a 43-character challenge")
        if not state:
            raise refuse("invalid_request", "state is required")
        scope = params.get("scope", "")
        if unknown := [s for s in scope.split() if s not in (*scopes(), "offline_access")]:
            raise refuse("invalid_scope", f"unknown scopes: {' '.join(unknown)}")
        resources = [r for r in params.getlist("resource") if r]
        if len(resources) > 1 or (resources and not _valid_resource(resources[0])):
            raise refuse("invalid_target", "resource must be one absolute URI without a fragment")
        resource = resources[0] if resources else None
        return _Request(client, redirect_uri, state, params.get("nonce", ""), challenge, scope, resource)

    # the token endpoint
    def token(self, base_url: str, form: MultiDict[str, str]) -> Response:
        try:
            if twice := [k for k in form if len(form.getlist(k)) > 1]:
                raise GrantError("invalid_request", f"parameters sent more than once: {', '.join(twice)}")
            grant_type, client_id = form.get("grant_type", ""), form.get("client_id", "")
            if not client_id:
                raise GrantError("invalid_client", "client_id is required (public clients)", 401)
            if grant_type == "authorization_code":
                authorization, refresh = self.grants.redeem(
                    form.get("code", ""),
                    client_id=client_id,
                    redirect_uri=form.get("redirect_uri", ""),
                    verifier=form.get("code_verifier", ""),
                    resource=form.get("resource", ""),
                )
                nonce = authorization.nonce
            elif grant_type == "refresh_token":
                authorization, fresh = self.grants.rotate(
                    form.get("refresh_token", ""),
                    client_id=client_id,
                    resource=form.get("resource", ""),
                    scope=form.get("scope", ""),
                )
                refresh, nonce = fresh, ""
            else:
                raise GrantError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
        except GrantError as exc:
            return _json({"error": exc.error, "error_description": exc.description}, exc.status, no_store=True)
        return _json(self._tokens(base_url, authorization, refresh, nonce), no_store=True)

    def _tokens(self, base_url: str, authorization: Authorization, refresh: str | None, nonce: str) -> dict[str, Any]:
        lifetime = token_lifetime()
        audience = authorization.resource or authorization.client_id
        claims = {"scope": authorization.scope} if authorization.scope else {}
        access = self._sign(base_url, authorization.user, authorization.client_id, audience, lifetime, claims)
        answer: dict[str, Any] = {"access_token": access, "token_type": "Bearer", "expires_in": lifetime}
        if authorization.scope:
            answer["scope"] = authorization.scope
        if refresh is not None:
            answer["refresh_token"] = refresh
        if "openid" in authorization.scope.split():
            extra = {"nonce": nonce} if nonce else {}
            answer["id_token"] = self._sign(
                base_url, authorization.user, authorization.client_id, authorization.client_id, lifetime, extra
            )
        return answer

    # registration, revocation, test tokens
    def register(self, body: Any) -> Response:
        try:
            return _json(self.clients.register(body), 201)
        except ClientProblem as problem:
            return _json({"error": problem.error, "error_description": problem.message}, 400)

    def revoke_user(self, user: str, client_id: str | None = None) -> int:
        """Sandbox-only: ends every refresh token of `user` (of one client if given), as an administrator
        would; access tokens already issued stay valid until they expire (they are JWTs)."""
        return self.grants.revoke_user(user, client_id)

    def mint(self, base_url: str, body: dict[str, Any]) -> dict[str, Any]:
        """Sandbox-only: a token for a named user without any sign-in (POST /oidc/token with JSON)."""
        user = body.get("user")
        if not isinstance(user, str) or not user.isidentifier():
            raise validation("`user` must be a simple user name such as alice")
        client_id = str(body.get("client_id") or DEFAULT_CLIENT)
        lifetime = int(body.get("expires_in") or token_lifetime())
        extra = {"nonce": str(body["nonce"])} if body.get("nonce") else {}
        if body.get("scope"):
            if unknown := [s for s in str(body["scope"]).split() if s not in scopes()]:
                raise validation(f"unknown scopes: {' '.join(unknown)}")
            extra["scope"] = str(body["scope"])
        token = self._sign(base_url, user, client_id, client_id, lifetime, extra)
        return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}

    def _sign(
        self, base_url: str, user: str, client_id: str, audience: str, lifetime: int, extra: dict[str, str]
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer(base_url),
            "sub": user,
            "aud": audience,
            "client_id": client_id,
            "username": user,
            "iat": now,
            "exp": now + lifetime,
            "jti": uuid.uuid4().hex,
            **extra,
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})


def _valid_resource(resource: str) -> bool:
    parts = urlsplit(resource)
    return bool(parts.scheme and parts.netloc) and not parts.fragment and "#" not in resource


def _redirect(redirect_uri: str, **params: str) -> Response:
    query = urlencode({k: v for k, v in params.items() if v})
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return Response(status=302, headers={"Location": f"{redirect_uri}{separator}{query}"})


def _json(body: dict[str, Any], status: int = 200, *, no_store: bool = False) -> Response:
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"} if no_store else {}
    return Response(json.dumps(body), status=status, content_type="application/json", headers=headers)
