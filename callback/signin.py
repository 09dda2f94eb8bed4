"""Who is at the browser: before the callback binds a CUSTOM_JWT session, the person confirming
must sign in with the same OIDC identity provider, as the user who started the session.

Without this, a user could forward their authorization link to someone else, let them approve it
with their own GitHub account, and receive that account's token (AWS_FACTS, session binding).
Authorization code flow with PKCE (S256) and a nonce; the pending state and the signed-in user
travel in HMAC-signed cookies (SameSite=Lax: they must survive the provider's redirect back).
callback/routes.py runs the sign-in; callback/consent.py compares its user with the session's initiator.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import anyio
import httpx
import jwt

from handoff.callers import display_name, unverified_claims

PENDING_COOKIE = "oauth_callback_signin"
USER_COOKIE = "oauth_callback_user"
PURPOSE_KEY = "use"
"""Where a signed value names the cookie it was made for."""
SESSION_URI_KEY = "session_id"
"""Where the session URI sits in both sign-in cookies' signed values. A stored key, not a variable
name: it keeps the wire name of earlier versions so that cookies already issued stay valid."""


class SignInFailed(Exception):
    pass


@dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str
    name: str


def identity_of_token(token: str) -> Identity | None:
    """The initiator's identity from the bearer token the MCP server recorded (the gateway verified it)."""
    claims = unverified_claims(token)
    if claims is None:
        return None
    if not claims.get("iss") or not claims.get("sub"):
        return None
    return Identity(str(claims["iss"]), str(claims["sub"]), display_name(claims))


def user_cookie_value(session_uri: str, user: Identity) -> dict[str, Any]:
    """What the user cookie holds once `user` has signed in to confirm the session `session_uri`."""
    return {SESSION_URI_KEY: session_uri, "iss": user.issuer, "sub": user.subject, "name": user.name}


def signed_in_user(value: dict[str, Any] | None, session_uri: str) -> Identity | None:
    """The user the (verified) user cookie `value` signed in for `session_uri`; None if none or another session."""
    if value is None or value.get(SESSION_URI_KEY) != session_uri:
        return None
    return Identity(str(value.get("iss", "")), str(value.get("sub", "")), str(value.get("name")))


class Signer:
    """HMAC-signed JSON values for cookies, each with an expiry (`exp`, seconds since the epoch) inside
    what is signed: a copied cookie stops working when its time is up, whatever Max-Age the browser kept."""

    def __init__(self, key: bytes):
        self.key = key

    def dumps(self, value: dict[str, Any], *, purpose: str, max_age: int) -> str:
        """`purpose` (the cookie's name) is signed in too: a value made for one cookie is refused in another."""
        document = {**value, PURPOSE_KEY: purpose, "exp": int(time.time()) + max_age}
        payload = base64.urlsafe_b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()
        return f"{payload}.{self._mac(payload)}"

    def loads(self, token: str, *, purpose: str) -> dict[str, Any] | None:
        """The value, or None when the token is forged, malformed, expired or made for another purpose."""
        payload, _, mac = token.rpartition(".")
        if not payload or not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            value = json.loads(base64.urlsafe_b64decode(payload.encode()))
        except ValueError:
            return None
        if not isinstance(value, dict) or not isinstance(value.get("exp"), int) or value["exp"] <= time.time():
            return None
        if value.pop(PURPOSE_KEY, None) != purpose:
            return None
        return value

    def _mac(self, payload: str) -> str:
        return hmac.new(self.key, payload.encode(), hashlib.sha256).hexdigest()


class OidcSignIn:
    def __init__(self, *, discovery_url: str, client_id: str, client_secret: str | None = None):
        self.discovery_url, self.client_id, self.client_secret = discovery_url, client_id, client_secret
        self._discovery: dict[str, Any] | None = None
        self._jwks: jwt.PyJWKClient | None = None

    async def start(
        self, *, session_uri: str, redirect_uri: str, login_hint: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        """The provider URL to send the browser to, and the pending state to keep in a cookie.

        `login_hint` names a user to the provider (and to whoever sees the URL): pass it only for a
        browser known to belong to that user, never for a link that may have been forwarded."""
        discovery = await self._metadata()
        verifier, state, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        if login_hint:
            query["login_hint"] = login_hint
        pending = {SESSION_URI_KEY: session_uri, "state": state, "nonce": nonce, "verifier": verifier}
        return f"{discovery['authorization_endpoint']}?{urlencode(query)}", pending

    async def finish(self, *, code: str, pending: dict[str, Any], redirect_uri: str) -> Identity:
        discovery = await self._metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.client_id,
            "code_verifier": pending["verifier"],
        }
        if self.client_secret:
            form["client_secret"] = self.client_secret
        async with httpx.AsyncClient(timeout=15) as http:
            try:
                response = await http.post(discovery["token_endpoint"], data=form)
            except httpx.HTTPError as exc:
                raise SignInFailed(f"the identity provider could not be reached ({type(exc).__name__})") from exc
        id_token = response.json().get("id_token") if response.status_code == 200 else None
        if not id_token:
            raise SignInFailed("the identity provider did not return an ID token")
        claims = await anyio.to_thread.run_sync(self._verify, id_token, discovery["issuer"])
        if not hmac.compare_digest(str(claims.get("nonce", "")), pending["nonce"]):
            raise SignInFailed("the sign-in answer does not belong to this request")
        return Identity(str(claims["iss"]), str(claims["sub"]), display_name(claims))

    def _verify(self, id_token: str, issuer: str) -> dict[str, Any]:
        assert self._jwks is not None
        try:
            key = self._jwks.get_signing_key_from_jwt(id_token)
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key.key,
                algorithms=["RS256", "ES256"],
                audience=self.client_id,
                issuer=issuer,
                options={"require": ["exp", "iss", "sub", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise SignInFailed(f"the ID token is not valid: {exc}") from exc
        return claims

    async def _metadata(self) -> dict[str, Any]:
        if self._discovery is None:
            async with httpx.AsyncClient(timeout=15) as http:
                try:
                    self._discovery = (await http.get(self.discovery_url)).raise_for_status().json()
                except (httpx.HTTPError, ValueError) as exc:
                    raise SignInFailed(
                        f"the identity provider's discovery document is unavailable ({type(exc).__name__})"
                    ) from exc
            self._jwks = jwt.PyJWKClient(self._discovery["jwks_uri"])
        return self._discovery
