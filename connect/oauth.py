"""Signing in and staying signed in: OAuth 2.1 authorization code + PKCE S256 with a loopback redirect
(RFC 8252 section 7.3), refresh with rotation, renewal before expiry.

Plain httpx rather than Authlib: the client side of this flow is four requests (discovery, optional RFC 7591
registration, code exchange, refresh), httpx is already a dependency, and every step stays visible and
testable against the sandbox; Authlib would add a dependency for the PKCE helper and a token dict.

Nothing here prints or logs a token: errors carry the IdP's `error` / `error_description` only."""

from __future__ import annotations

import base64
import hashlib
import http.server
import secrets
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from connect.store import Store, across_processes

SIGN_IN_AGAIN = "sign in again: mcp-connect login"
LOOPBACK_HOST = "127.0.0.1"
CALLBACK_PATH = "/callback"
DEFAULT_SCOPE = "openid offline_access"
SIGN_IN_TIMEOUT = 300.0


class SignInRequired(Exception):
    """No usable sign-in: the message tells the user what to run."""


class SignInFailed(Exception):
    """The browser sign-in did not complete (refused, timed out, or a bad answer)."""


@dataclass(frozen=True)
class Provider:
    """Who signs the user in, as far as mcp-connect needs: the discovery URL and the client to be."""

    discovery_url: str
    client_id: str | None
    """None: register dynamically (RFC 7591) when the server offers it."""
    scope: str = DEFAULT_SCOPE
    resource: str | None = None
    """RFC 8707 `resource`, when the stack wants tokens for a named audience."""

    @property
    def key(self) -> str:
        """The store key: one sign-in per IdP and client."""
        return f"{self.discovery_url} {self.client_id or 'registered'}"


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge): 64 unreserved characters and base64url(SHA-256) without padding."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class _Loopback:
    """A one-shot HTTP listener on 127.0.0.1, port chosen by the OS, that takes the authorization response."""

    def __init__(self) -> None:
        self.answer: dict[str, str] | None = None
        self.done = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                parts = urlsplit(self.path)
                if parts.path != CALLBACK_PATH:
                    self.send_error(404)
                    return
                outer.answer = {k: v[0] for k, v in parse_qs(parts.query).items()}
                ok = "code" in outer.answer
                body = (
                    "<!doctype html><title>mcp-connect</title><p>"
                    + ("Signed in. You can close this window." if ok else "Sign-in did not complete.")
                    + "</p>"
                ).encode()
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                outer.done.set()

            def log_message(self, format: str, *args: Any) -> None:  # the query holds the code: never logged
                return

        self.server = http.server.HTTPServer((LOOPBACK_HOST, 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="mcp-connect-loopback", daemon=True)

    @property
    def redirect_uri(self) -> str:
        return f"http://{LOOPBACK_HOST}:{self.server.server_address[1]}{CALLBACK_PATH}"

    def __enter__(self) -> _Loopback:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class OAuthClient:
    """The IdP's endpoints (from its discovery document) and the requests mcp-connect makes to them."""

    provider: Provider
    http: httpx.Client
    _metadata: dict[str, Any] | None = None

    def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            try:
                response = self.http.get(self.provider.discovery_url)
            except httpx.HTTPError as exc:
                raise SignInFailed(
                    f"the identity provider at {self.provider.discovery_url} could not be reached: {exc}"
                ) from exc
            if response.status_code != 200:
                raise SignInFailed(
                    f"the identity provider's discovery document {self.provider.discovery_url} answered HTTP "
                    f"{response.status_code}"
                )
            self._metadata = response.json()
        return self._metadata

    def register(self) -> str:
        """RFC 7591: a public client with a loopback redirect URI without a port (any port matches)."""
        endpoint = self.metadata().get("registration_endpoint")
        if not endpoint:
            raise SignInFailed(
                "the identity provider offers no dynamic client registration: pass --client-id (the stack's "
                "client for users)"
            )
        response = self.http.post(
            endpoint,
            json={
                "client_name": "mcp-connect",
                "redirect_uris": [f"http://{LOOPBACK_HOST}{CALLBACK_PATH}"],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "none",
            },
        )
        if response.status_code not in (200, 201):
            raise SignInFailed(f"client registration was refused: {_error_of(response)}")
        return str(response.json()["client_id"])

    def sign_in(
        self, client_id: str, open_browser: Callable[[str], object], say: Callable[[str], None]
    ) -> dict[str, Any]:
        """The browser flow; returns the token answer (access_token, expires_in, refresh_token...)."""
        meta = self.metadata()
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(24)
        with _Loopback() as loopback:
            params = {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": loopback.redirect_uri,
                "scope": self.provider.scope,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
            if self.provider.resource:
                params["resource"] = self.provider.resource
            url = f"{meta['authorization_endpoint']}?{urlencode(params)}"
            say(f"mcp-connect: sign in in your browser; if none opens, visit:\n  {url}")
            open_browser(url)
            if not loopback.done.wait(SIGN_IN_TIMEOUT):
                raise SignInFailed(f"no sign-in came back within {int(SIGN_IN_TIMEOUT)} s")
            answer = loopback.answer or {}
            redirect_uri = loopback.redirect_uri
        if answer.get("state") != state:
            raise SignInFailed("the sign-in answer's state does not match (a stale or forged redirect)")
        if "iss" in answer and meta.get("issuer") and answer["iss"] != meta["issuer"]:
            raise SignInFailed("the sign-in answer came from another issuer (RFC 9207)")
        if "error" in answer:
            raise SignInFailed(
                f"the identity provider refused: {answer['error']} {answer.get('error_description', '')}"
            )
        form = {
            "grant_type": "authorization_code",
            "code": answer.get("code", ""),
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "code_verifier": verifier,
        }
        if self.provider.resource:
            form["resource"] = self.provider.resource
        response = self.http.post(meta["token_endpoint"], data=form)
        if response.status_code != 200:
            raise SignInFailed(f"the code exchange was refused: {_error_of(response)}")
        return dict(response.json())

    def refresh(self, client_id: str, refresh_token: str) -> dict[str, Any]:
        """The refresh grant; raises SignInRequired on invalid_grant (revoked, expired, reused)."""
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
        if self.provider.resource:
            form["resource"] = self.provider.resource
        try:
            response = self.http.post(self.metadata()["token_endpoint"], data=form)
        except httpx.HTTPError as exc:
            raise SignInFailed(f"the identity provider could not be reached to renew the token: {exc}") from exc
        if response.status_code == 200:
            return dict(response.json())
        error = _error_of(response)
        if response.status_code in (400, 401) and error.split(":")[0] in ("invalid_grant", "invalid_client"):
            raise SignInRequired(f"the identity provider no longer accepts your sign-in ({error}); {SIGN_IN_AGAIN}")
        raise SignInFailed(f"renewing the token failed: {error}")


def _error_of(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict) and "error" in body:
        return f"{body['error']}: {body.get('error_description', '')}".rstrip(": ")
    return f"HTTP {response.status_code}"


@dataclass
class TokenSource:
    """The current access token, renewed before it expires; thread-safe. `clock` is a seam for tests.

    Renewal happens once less than `min(RENEW_BEFORE, lifetime / 2)` seconds remain, so a 60 s token is
    renewed after 30 s and a one-hour token 5 minutes before its end. Rotation: a new refresh token in the
    answer replaces the stored one at once."""

    client: OAuthClient
    store: Store
    say: Callable[[str], None]
    open_browser: Callable[[str], object] = field(default=lambda url: webbrowser.open(url))
    """The browser seam (looked up per call, so tests may replace webbrowser.open)."""
    interactive: bool = True
    """Sign in with the browser when nothing is stored (first use); never after a refused refresh."""
    clock: Callable[[], float] = time.time
    RENEW_BEFORE: float = 300.0
    _access: str | None = None
    _renew_at: float = 0.0
    _refused: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def login(self) -> str:
        """Sign in now in the browser (`mcp-connect login`); returns the user-facing description of where
        the sign-in is kept."""
        with self._lock:
            client_id = self.client.provider.client_id or self.client.register()
            answer = self.client.sign_in(client_id, self.open_browser, self.say)
            with across_processes():
                self._keep(client_id, answer)
            self._refused = None
            return self.store.description

    def logout(self) -> bool:
        with self._lock:
            self._access, self._renew_at = None, 0.0
            return self.store.delete(self.client.provider.key)

    def access_token(self) -> str:
        with self._lock:
            if self._access is not None and self.clock() < self._renew_at:
                return self._access
            with across_processes():
                saved = self.store.get(self.client.provider.key)
                if saved and saved.get("refresh_token") and saved.get("client_id"):
                    # after a refusal too: `mcp-connect login` in a terminal stores a new sign-in that a
                    # running relay picks up here, without the MCP client being restarted
                    try:
                        answer = self.client.refresh(saved["client_id"], saved["refresh_token"])
                    except SignInRequired as refused:
                        self.store.delete(self.client.provider.key)
                        self._access, self._refused = None, str(refused)
                        self.say(f"mcp-connect: {refused}")
                        raise
                    self._refused = None
                    return self._keep(saved["client_id"], answer, previous=saved["refresh_token"])
            if self._refused is not None:
                raise SignInRequired(self._refused)
            if not self.interactive:
                raise SignInRequired(f"not signed in; {SIGN_IN_AGAIN}")
            client_id = self.client.provider.client_id or self.client.register()
            answer = self.client.sign_in(client_id, self.open_browser, self.say)
            with across_processes():
                return self._keep(client_id, answer)

    def _keep(self, client_id: str, answer: dict[str, Any], previous: str | None = None) -> str:
        access = answer.get("access_token")
        if not isinstance(access, str) or not access:
            raise SignInFailed("the identity provider answered without an access token")
        lifetime = float(answer.get("expires_in") or 300)
        now = self.clock()
        self._access = access
        self._renew_at = now + lifetime - min(self.RENEW_BEFORE, lifetime / 2)
        refresh = answer.get("refresh_token") or previous
        if refresh:
            self.store.put(self.client.provider.key, {"client_id": client_id, "refresh_token": refresh})
        else:
            self.say(
                "mcp-connect: the identity provider gave no refresh token (offline_access?): you will be asked to "
                "sign in again when this token expires"
            )
        return access
