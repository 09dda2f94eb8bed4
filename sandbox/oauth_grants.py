"""What users approved at the sandbox's authorization server (sandbox.oidc): authorization codes and refresh
tokens, with the rules OAuth 2.1 (draft-ietf-oauth-v2-1-13) sets for public clients.

- Codes are single use and live 10 minutes (section 4.1.2: "A maximum authorization code lifetime of 10
  minutes is RECOMMENDED"); a code presented twice is refused and the refresh tokens issued from it are
  revoked (section 4.1.3: "the authorization server MUST deny the request and SHOULD revoke ... all tokens
  previously issued based on that authorization code"). A failed attempt uses the code up as well.
- PKCE S256 only (section 7.5.1, RFC 7636 section 4.6): the verifier is 43-128 unreserved characters
  (RFC 7636 section 4.1) and its SHA-256, base64url without padding, equals the challenge.
- The token request's client_id and redirect_uri equal the authorization request's (section 4.1.3).
- Refresh tokens of public clients rotate (section 4.3.1: "the authorization server MUST ... rotate refresh
  tokens"): each use returns a new one and ends the old; presenting an ended one is refused and revokes the
  whole family, since one of its two users is an attacker (RFC 9700 section 4.14.2).
- `revoke_user` ends every refresh token of a user (a sandbox-only action: an administrator's revocation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass, field

CODE_LIFETIME = 600
VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")
"""An S256 challenge: base64url of 32 bytes without padding (RFC 7636 section 4.2)."""


class GrantError(Exception):
    """An RFC 6749 section 5.2 token error."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


@dataclass(frozen=True)
class Authorization:
    """What the user approved for a client: carried by a code, then by a family of refresh tokens."""

    user: str
    client_id: str
    redirect_uri: str
    scope: str
    resource: str | None
    nonce: str
    refreshable: bool


@dataclass
class _Code:
    authorization: Authorization
    challenge: str
    expires: float
    family: str | None = None  # the refresh-token family issued from it, once redeemed


@dataclass
class _Family:
    authorization: Authorization
    current: str
    revoked: bool = False


@dataclass
class Grants:
    _codes: dict[str, _Code] = field(default_factory=dict)
    _used: dict[str, _Code] = field(default_factory=dict)
    _families: dict[str, _Family] = field(default_factory=dict)
    _refresh: dict[str, str] = field(default_factory=dict)
    """Every refresh token ever issued -> its family (ended ones too: their reuse is detected)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue_code(self, authorization: Authorization, challenge: str) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._forget_expired()
            self._codes[code] = _Code(authorization, challenge, time.time() + CODE_LIFETIME)
        return code

    def redeem(
        self, code: str, *, client_id: str, redirect_uri: str, verifier: str, resource: str
    ) -> tuple[Authorization, str | None]:
        """The authorization behind `code` and a new refresh token (None if the client gets none)."""
        with self._lock:
            grant = self._codes.pop(code, None)
            if grant is None:
                reused = self._used.get(code)
                if reused is not None and reused.family is not None:
                    self._families[reused.family].revoked = True
                raise GrantError("invalid_grant", "the code is unknown, expired or already used")
            self._used[code] = grant
            if grant.expires < time.time():
                raise GrantError("invalid_grant", "the code has expired")
            expected = grant.authorization
            if client_id != expected.client_id:
                raise GrantError("invalid_grant", "the code was issued to another client")
            if redirect_uri != expected.redirect_uri:
                raise GrantError("invalid_grant", "redirect_uri differs from the authorization request's")
            if not VERIFIER.fullmatch(verifier) or not hmac.compare_digest(s256(verifier), grant.challenge):
                raise GrantError("invalid_grant", "code_verifier does not match the code_challenge (PKCE S256)")
            _check_target(expected, resource)
            if not expected.refreshable:
                return expected, None
            grant.family, token = self._new_family(expected)
            return expected, token

    def rotate(self, token: str, *, client_id: str, resource: str, scope: str) -> tuple[Authorization, str]:
        """The authorization a refresh token carries, and the token that replaces it. A refused request
        leaves the token as it was, unless it shows the token stolen."""
        with self._lock:
            family = self._families.get(self._refresh.get(token, ""))
            if family is None:
                raise GrantError("invalid_grant", "unknown refresh token")
            if family.revoked:
                raise GrantError("invalid_grant", "the refresh token was revoked; sign in again")
            if token != family.current:
                family.revoked = True
                raise GrantError("invalid_grant", "the refresh token was already used; every token of it is revoked")
            if client_id != family.authorization.client_id:
                raise GrantError("invalid_grant", "the refresh token was issued to another client")
            _check_target(family.authorization, resource)
            if not set(scope.split()) <= set(family.authorization.scope.split()):
                raise GrantError("invalid_scope", "a refresh cannot widen the scope (RFC 6749 section 6)")
            family.current = secrets.token_urlsafe(32)
            self._refresh[family.current] = self._refresh[token]
            return family.authorization, family.current

    def revoke_user(self, user: str, client_id: str | None = None) -> int:
        """Ends every live refresh token of `user` (of one client if given); returns how many families."""
        with self._lock:
            families = [
                f
                for f in self._families.values()
                if not f.revoked and f.authorization.user == user and client_id in (None, f.authorization.client_id)
            ]
            for family in families:
                family.revoked = True
            return len(families)

    def _new_family(self, authorization: Authorization) -> tuple[str, str]:
        name, token = secrets.token_hex(8), secrets.token_urlsafe(32)
        self._families[name], self._refresh[token] = _Family(authorization, token), name
        return name, token

    def _forget_expired(self) -> None:
        now = time.time()
        for table in (self._codes, self._used):
            for code in [c for c, grant in table.items() if grant.expires < now - CODE_LIFETIME]:
                del table[code]


def _check_target(authorization: Authorization, resource: str) -> None:
    """RFC 8707 section 2.2: a token request may name only a resource the user authorized."""
    if resource and resource != authorization.resource:
        raise GrantError("invalid_target", "resource differs from the one the user authorized")


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
