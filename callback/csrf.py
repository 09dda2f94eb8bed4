"""CSRF tokens for the confirmation form: a random nonce bound to one session URI by an HMAC,
sent both as a form field and as a SameSite=Strict cookie (double submit). A POST must carry
both, equal, and valid for the session it names. Issued and checked by callback/routes.py; the key
is callback/keys.py's CSRF key, never the one that signs cookies."""

from __future__ import annotations

import hashlib
import hmac
import secrets

COOKIE = "oauth_callback_csrf"


class Csrf:
    def __init__(self, key: bytes):
        self.key = key

    def issue(self, session_uri: str) -> str:
        nonce = secrets.token_urlsafe(16)
        return f"{nonce}.{self._mac(nonce, session_uri)}"

    def valid(self, token: str, cookie: str, session_uri: str) -> bool:
        if not token or not hmac.compare_digest(token, cookie) or token.count(".") != 1:
            return False
        nonce, mac = token.split(".")
        return hmac.compare_digest(mac, self._mac(nonce, session_uri))

    def _mac(self, nonce: str, session_uri: str) -> str:
        return hmac.new(self.key, f"{nonce}|{session_uri}".encode(), hashlib.sha256).hexdigest()
