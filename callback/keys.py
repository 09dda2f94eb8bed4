"""The callback's keys: one for CSRF tokens, one for signing cookies, both derived from one secret with
distinct labels (HMAC-SHA256 of the label under the secret, the HKDF-Expand step for one block), so a
value made with one key is never valid under the other.

The secret is OAUTH_CALLBACK_SECRET when several instances must accept each other's cookies (at least
32 bytes), else 32 random bytes per process."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

MIN_SECRET_BYTES = 32
GENERATE_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


class SecretTooShort(ValueError):
    pass


@dataclass(frozen=True)
class Keys:
    csrf: bytes
    cookies: bytes

    @classmethod
    def from_secret(cls, secret: bytes | None) -> Keys:
        """Raises SecretTooShort (its message names the variable, never the value)."""
        if secret is None:
            secret = secrets.token_bytes(MIN_SECRET_BYTES)
        elif len(secret) < MIN_SECRET_BYTES:
            raise SecretTooShort(
                f"OAUTH_CALLBACK_SECRET is {len(secret)} bytes; it must be at least {MIN_SECRET_BYTES} bytes of "
                f"random data (generate one with `{GENERATE_HINT}`), or unset it for a random key per process"
            )
        return cls(csrf=derive(secret, "csrf-token"), cookies=derive(secret, "cookie-signing"))


def derive(secret: bytes, label: str) -> bytes:
    return hmac.new(secret, f"oauth-callback/v1/{label}".encode() + b"\x01", hashlib.sha256).digest()
