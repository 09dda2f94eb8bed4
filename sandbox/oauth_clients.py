"""The clients of the sandbox's authorization server (sandbox.oidc): who may ask for a code, and to which
redirect URIs the browser may be sent.

Three kinds, the client registration approaches of MCP 2025-11-25 "Authorization":

- **Pre-registered**: any client_id that is neither a URL nor one this server issued (e.g. `sandbox-demo`,
  the stack's OIDC_CLIENT_ID). They share one list of redirect URIs, from the environment, read per request:
  the callback's sign-in return derived from CALLBACK_URL (default as in stack.yaml) plus
  SANDBOX_OIDC_REDIRECT_URIS (comma-separated). Both grants (code, refresh) are theirs.
- **Dynamically registered** (RFC 7591) at POST /oidc/register: public clients only
  (token_endpoint_auth_method `none`; left out it becomes `none`, RFC 7591 section 3.2.1 lets the server
  replace requested metadata; a secret-based method is refused, this server keeps no secrets).
- **Client ID Metadata Documents** (draft-ietf-oauth-client-id-metadata-document, MCP 2025-11-25): the
  client_id is an https URL with a path; the server GETs the JSON document there (no redirects followed, at
  most 5 KB), whose `client_id` must equal the URL (simple string comparison) and whose `redirect_uris` must
  hold the request's redirect_uri; no client secret. The sandbox fetches from loopback only, so that nothing
  leaves the machine, and takes plain http there too (https is the draft's rule everywhere else).

Redirect URIs are compared as strings (OAuth 2.1 section 4.1.1 / RFC 6749 section 3.1.2.3, OpenID Connect
Core 1.0 section 3.1.2.1: "MUST exactly match"), with one exception, RFC 8252 section 7.3: for a loopback
redirect URI of a native client "the authorization server MUST allow any port to be specified at the time of
the request". Dynamically registered and metadata-document clients are public, native clients here, so their
loopback URIs match on any port; a pre-registered loopback URI matches any port only when it was registered
without one (`http://127.0.0.1/callback`), as a web client's URI with a port (the callback's) stays exact.
Registered URIs must be https, or http on a loopback host (RFC 8252 section 7.3, 8.3), with no fragment
(RFC 6749 section 3.1.2).

Grants: a dynamically registered or metadata-document client gets refresh tokens only when its grant_types
lists refresh_token (RFC 7591 section 2: grant_types defaults to ["authorization_code"]).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

DEFAULT_CALLBACK_URL = "http://localhost:8080/oauth/callback"
"""stack.yaml's `${env:CALLBACK_URL:-...}` default."""
CALLBACK_PATH, SIGN_IN_RETURN_PATH = "/oauth/callback", "/oauth/signed-in"
DYNAMIC_PREFIX = "sandbox-dcr-"
GRANT_TYPES = ("authorization_code", "refresh_token")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "[::1]", "localhost"})
NETLOC = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^:@\[\]]+)(?::(?P<port>\d{1,5}))?")
MAX_DOCUMENT_BYTES = 5 * 1024
"""draft-ietf-oauth-client-id-metadata-document section 6.6: the server SHOULD limit the document's size
(its example: 5 kilobytes)."""


class ClientProblem(Exception):
    """A client_id or client metadata this server does not accept: `error` is the RFC 7591 / RFC 6749 code."""

    def __init__(self, message: str, error: str = "invalid_client_metadata") -> None:
        super().__init__(message)
        self.message, self.error = message, error


@dataclass(frozen=True)
class Client:
    client_id: str
    redirect_uris: tuple[str, ...]
    native: bool
    """Loopback redirect URIs match on any port (RFC 8252 section 7.3)."""
    grant_types: tuple[str, ...] = GRANT_TYPES
    name: str = ""

    def allows(self, redirect_uri: str) -> bool:
        return any(_matches(registered, redirect_uri, any_port=self.native) for registered in self.redirect_uris)

    @property
    def refreshable(self) -> bool:
        return "refresh_token" in self.grant_types


def registered_redirect_uris() -> list[str]:
    """The pre-registered clients' redirect URIs, from the environment (see the module docstring)."""
    callback = os.environ.get("CALLBACK_URL") or DEFAULT_CALLBACK_URL
    parts = urlsplit(callback)
    prefix = parts.path[: -len(CALLBACK_PATH)] if parts.path.endswith(CALLBACK_PATH) else ""
    extra = [u.strip() for u in os.environ.get("SANDBOX_OIDC_REDIRECT_URIS", "").split(",") if u.strip()]
    return [f"{parts.scheme}://{parts.netloc}{prefix}{SIGN_IN_RETURN_PATH}", *extra]


@dataclass
class ClientRegistry:
    """Thread-safe: the dynamically registered clients, and the way to every other kind."""

    _dynamic: dict[str, Client] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def resolve(self, client_id: str) -> Client:
        """The client named `client_id`, or ClientProblem (error invalid_client) naming why not."""
        if not client_id:
            raise ClientProblem("client_id is missing", "invalid_client")
        if client_id.startswith(("https://", "http://")):
            return self._metadata_document(client_id)
        if client_id.startswith(DYNAMIC_PREFIX):
            with self._lock:
                client = self._dynamic.get(client_id)
            if client is None:
                raise ClientProblem(f"no client {client_id} was registered here", "invalid_client")
            return client
        # A pre-registered URI without a port is a native client's loopback registration (module docstring).
        return _PreRegistered(client_id, tuple(registered_redirect_uris()), native=False)

    def register(self, body: Any) -> dict[str, Any]:
        """RFC 7591 section 3.1 -> the section 3.2.1 answer (201); ClientProblem -> a section 3.2.2 error."""
        if not isinstance(body, dict):
            raise ClientProblem("the registration request must be a JSON object")
        method = body.get("token_endpoint_auth_method", "none")
        if method != "none":
            raise ClientProblem(
                f"token_endpoint_auth_method {method!r} is not supported: this server registers public clients "
                "only (none)"
            )
        redirect_uris = _redirect_uris(body.get("redirect_uris"))
        grant_types, response_types = _grant_and_response_types(body)
        client_id = DYNAMIC_PREFIX + secrets.token_urlsafe(12)
        name = _text(body.get("client_name"))
        client = Client(client_id, redirect_uris, native=True, grant_types=grant_types, name=name)
        with self._lock:
            self._dynamic[client_id] = client
        answer: dict[str, Any] = {
            "client_id": client_id,
            "client_id_issued_at": int(time.time()),
            "redirect_uris": list(redirect_uris),
            "token_endpoint_auth_method": "none",
            "grant_types": list(grant_types),
            "response_types": list(response_types),
        }
        kept = ("client_name", "client_uri", "logo_uri", "scope", "contacts", "software_id", "software_version")
        return {**answer, **{k: body[k] for k in kept if body.get(k) is not None}}

    def _metadata_document(self, url: str) -> Client:
        _check_document_url(url)
        try:  # a connection per fetch: nothing is kept open to the client's host
            with httpx.Client(timeout=5.0, follow_redirects=False) as http:
                response = http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise ClientProblem(
                f"the client metadata document at {url} could not be fetched: {exc}", "invalid_client"
            ) from exc
        if response.status_code != 200:
            raise ClientProblem(
                f"the client metadata document at {url} answered HTTP {response.status_code} (redirects are not "
                "followed)",
                "invalid_client",
            )
        if len(response.content) > MAX_DOCUMENT_BYTES:
            raise ClientProblem(f"the client metadata document is over {MAX_DOCUMENT_BYTES} bytes", "invalid_client")
        try:
            document = json.loads(response.content)
        except ValueError as exc:
            raise ClientProblem(f"the client metadata document is not JSON: {exc}", "invalid_client") from exc
        return _client_from_document(url, document)


class _PreRegistered(Client):
    def allows(self, redirect_uri: str) -> bool:
        return any(
            _matches(registered, redirect_uri, any_port=_netloc(registered)[1] is None)
            for registered in self.redirect_uris
        )


def _client_from_document(url: str, document: Any) -> Client:
    """draft-ietf-oauth-client-id-metadata-document section 4.1: client_id equals the URL; no shared secret."""
    if not isinstance(document, dict):
        raise ClientProblem("the client metadata document must be a JSON object", "invalid_client")
    if document.get("client_id") != url:
        raise ClientProblem(
            f"the client metadata document's client_id {document.get('client_id')!r} is not its URL {url}",
            "invalid_client",
        )
    if "client_secret" in document or "client_secret_expires_at" in document:
        raise ClientProblem("a client metadata document must not carry a client_secret", "invalid_client")
    method = document.get("token_endpoint_auth_method", "none")
    if method != "none":
        raise ClientProblem(
            f"token_endpoint_auth_method {method!r}: this server takes public clients only (none)", "invalid_client"
        )
    try:
        redirect_uris = _redirect_uris(document.get("redirect_uris"))
        grant_types, _ = _grant_and_response_types(document)
    except ClientProblem as exc:
        raise ClientProblem(f"client metadata document: {exc.message}", "invalid_client") from exc
    name = _text(document.get("client_name"))
    return Client(url, redirect_uris, native=True, grant_types=grant_types, name=name)


def _check_document_url(url: str) -> None:
    """draft-ietf-oauth-client-id-metadata-document section 3: https, a path, no dot segments, no fragment,
    no user info (the query, which it says SHOULD NOT be there, is refused: the stricter reading)."""
    parts = urlsplit(url)
    host, _ = _netloc(url)
    segments = parts.path.split("/")
    if (
        parts.scheme not in ("https", "http")
        or parts.path in ("", "/")
        or "." in segments
        or ".." in segments
        or parts.fragment
        or parts.query
        or "@" in parts.netloc
        or host is None
    ):
        raise ClientProblem(
            f"client_id {url} is not a valid client metadata document URL (https, with a path, no query, "
            "fragment, user info or dot segments)",
            "invalid_client",
        )
    if host not in LOOPBACK_HOSTS:
        raise ClientProblem(
            f"the sandbox fetches client metadata documents from loopback hosts only (nothing leaves the machine): "
            f"{url}",
            "invalid_client",
        )


def _redirect_uris(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(uri, str) for uri in value):
        raise ClientProblem("redirect_uris must be a non-empty list of URIs", "invalid_redirect_uri")
    for uri in value:
        parts = urlsplit(uri)
        host, _ = _netloc(uri)
        secure = parts.scheme == "https" and host is not None
        loopback = parts.scheme == "http" and host in LOOPBACK_HOSTS
        if not (secure or loopback) or parts.fragment or "@" in parts.netloc:
            raise ClientProblem(
                f"redirect URI {uri} must be https, or http on a loopback host (127.0.0.1, [::1], localhost), "
                "without a fragment",
                "invalid_redirect_uri",
            )
    return tuple(value)


def _grant_and_response_types(body: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """RFC 7591 section 2: grant_types defaults to ["authorization_code"], response_types to ["code"]; this
    server supports only those grants and the code response type."""
    grant_types = body.get("grant_types", ["authorization_code"])
    response_types = body.get("response_types", ["code"])
    if not isinstance(grant_types, list) or "authorization_code" not in grant_types:
        raise ClientProblem("grant_types must include authorization_code")
    if unsupported := [g for g in grant_types if g not in GRANT_TYPES]:
        raise ClientProblem(f"grant_types {unsupported} are not supported (only {list(GRANT_TYPES)})")
    if response_types != ["code"]:
        raise ClientProblem('response_types must be ["code"]')
    return tuple(grant_types), tuple(response_types)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _netloc(uri: str) -> tuple[str | None, str | None]:
    """(host as written, port as written) of an http(s) URI, or (None, None) if its authority is malformed."""
    match = NETLOC.fullmatch(urlsplit(uri).netloc)
    if match is None or (match["port"] is not None and not 0 < int(match["port"]) < 65536):
        return None, None
    return match["host"], match["port"]


def _matches(registered: str, requested: str, *, any_port: bool) -> bool:
    if requested == registered:
        return True
    if not any_port:
        return False
    (reg_host, _), (req_host, req_port) = _netloc(registered), _netloc(requested)
    reg, req = urlsplit(registered), urlsplit(requested)
    return (
        registered.startswith("http://")
        and requested.startswith("http://")  # as written: urlsplit lowercases the scheme
        and reg_host is not None
        and reg_host in LOOPBACK_HOSTS
        and req_host == reg_host
        and req_port is not None
        and (reg.path, reg.query, reg.fragment) == (req.path, req.query, req.fragment)
    )
