"""A test OIDC issuer: discovery document, JWKS, and JWTs minted for named test users.

POST /oidc/token  {"user": "alice", "client_id": "sandbox-demo"}  ->  {"access_token": "<jwt>"}

Its sign-in (authorization code + PKCE) redirects only to registered redirect URIs, compared exactly,
as real providers do: the callback's sign-in return derived from CALLBACK_URL (the variable the stack's
callback URL comes from; default as in stack.yaml), plus SANDBOX_OIDC_REDIRECT_URIS (comma-separated).
Both are read when a request comes in, so a test or the demo can set CALLBACK_URL after the sandbox
started. Every client of this issuer shares the one list.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import os
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from werkzeug.wrappers import Response

from sandbox.errors import validation
from sandbox.github import USERS as SIGN_IN_USERS
from sandbox.github import page as _page

DEFAULT_CLIENT = "sandbox-demo"
TOKEN_LIFETIME = 3600
DEFAULT_CALLBACK_URL = "http://localhost:8080/oauth/callback"
"""stack.yaml's `${env:CALLBACK_URL:-...}` default."""
CALLBACK_PATH, SIGN_IN_RETURN_PATH = "/oauth/callback", "/oauth/signed-in"


def registered_redirect_uris() -> list[str]:
    """The redirect URIs registered with this issuer, from the environment (see the module docstring)."""
    callback = os.environ.get("CALLBACK_URL") or DEFAULT_CALLBACK_URL
    parts = urlsplit(callback)
    prefix = parts.path[: -len(CALLBACK_PATH)] if parts.path.endswith(CALLBACK_PATH) else ""
    extra = [u.strip() for u in os.environ.get("SANDBOX_OIDC_REDIRECT_URIS", "").split(",") if u.strip()]
    return [f"{parts.scheme}://{parts.netloc}{prefix}{SIGN_IN_RETURN_PATH}", *extra]


def redirect_uri_problem(redirect_uri: str, client_id: str) -> Response | None:
    """An error page (never a redirect) unless `redirect_uri` is registered.

    OpenID Connect Core 1.0, section 3.1.2.1: redirect_uri "MUST exactly match one of the Redirection URI
    values for the Client pre-registered at the OpenID Provider", by simple string comparison (RFC 3986
    section 6.2.1); and RFC 6749 section 4.1.2.1: on a mismatching redirection URI the server "MUST NOT
    automatically redirect the user-agent to the invalid redirection URI"."""
    if redirect_uri in registered_redirect_uris():
        return None
    return _page(
        "Bad sign-in request",
        f"<p>redirect_uri {html.escape(redirect_uri)} is not registered for client {html.escape(client_id)}.</p>",
        400,
    )


class OidcIssuer:
    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex[:16]
        self._lock = threading.Lock()
        self._codes: dict[str, dict[str, str]] = {}

    def issuer(self, base_url: str) -> str:
        return f"{base_url}/oidc"

    def discovery(self, base_url: str) -> dict[str, Any]:
        issuer = self.issuer(base_url)
        return {
            "issuer": issuer,
            "jwks_uri": f"{issuer}/jwks",
            "token_endpoint": f"{issuer}/token",
            "authorization_endpoint": f"{issuer}/authorize",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def jwks(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def sign_in_page(self, args: Mapping[str, str]) -> Response:
        missing = [k for k in ("client_id", "redirect_uri", "state", "code_challenge") if not args.get(k)]
        if (
            missing
            or args.get("response_type", "code") != "code"
            or args.get("code_challenge_method", "S256") != "S256"
        ):
            return _page(
                "Bad sign-in request",
                f"<p>Missing or unsupported: {html.escape(', '.join(missing) or 'response_type')}</p>",
                400,
            )
        if problem := redirect_uri_problem(args["redirect_uri"], args["client_id"]):
            return problem
        hint = args.get("login_hint", "")
        options = "".join(f'<option value="{u}"{" selected" if u == hint else ""}>{u}</option>' for u in SIGN_IN_USERS)
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(args.get(k, ""), quote=True)}">'
            for k in ("client_id", "redirect_uri", "state", "nonce", "code_challenge")
        )
        body = (
            f'<form method="post" action="/oidc/authorize">{hidden}<label>User <select name="user" id="user">{options}'
            '</select></label> <button type="submit" id="sign-in">Sign in</button></form>'
        )
        return _page("Sign in (sandbox identity provider)", body)

    def sign_in(self, form: Mapping[str, str]) -> Response:
        if form.get("user") not in SIGN_IN_USERS or not form.get("redirect_uri") or not form.get("code_challenge"):
            return _page("Bad sign-in", "<p>Unknown user or incomplete request.</p>", 400)
        if problem := redirect_uri_problem(form["redirect_uri"], form.get("client_id", "")):
            return problem
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = {
                k: form.get(k, "") for k in ("user", "client_id", "redirect_uri", "nonce", "code_challenge")
            }
        query = urlencode({"code": code, "state": form.get("state", "")})
        return Response(status=302, headers={"Location": f"{form['redirect_uri']}?{query}"})

    def exchange(self, base_url: str, form: Mapping[str, str]) -> tuple[dict[str, Any], int]:
        """Authorization code + PKCE verifier -> an ID token (single-use code)."""
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if (
            grant is None
            or grant["client_id"] != form.get("client_id")
            or grant["redirect_uri"] != form.get("redirect_uri")
            or not hmac.compare_digest(challenge, grant["code_challenge"])
        ):
            return {
                "error": "invalid_grant",
                "error_description": "unknown code, client, redirect_uri or PKCE verifier",
            }, 400
        token = self.mint(base_url, {"user": grant["user"], "client_id": grant["client_id"], "nonce": grant["nonce"]})
        return {
            "id_token": token["access_token"],
            "access_token": token["access_token"],
            "token_type": "Bearer",
            "expires_in": token["expires_in"],
        }, 200

    def mint(self, base_url: str, body: dict[str, Any]) -> dict[str, Any]:
        user = body.get("user")
        if not isinstance(user, str) or not user.isidentifier():
            raise validation("`user` must be a simple user name such as alice")
        client_id = str(body.get("client_id") or DEFAULT_CLIENT)
        now = int(time.time())
        lifetime = int(body.get("expires_in") or TOKEN_LIFETIME)
        claims = {
            "iss": self.issuer(base_url),
            "sub": user,
            "aud": client_id,
            "client_id": client_id,
            "username": user,
            "iat": now,
            "exp": now + lifetime,
            "jti": uuid.uuid4().hex,
        }
        if body.get("nonce"):
            claims["nonce"] = str(body["nonce"])
        token = jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})
        return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}
