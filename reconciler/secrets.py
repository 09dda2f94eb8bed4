"""Secret handling. A secret can't be read back from AWS, so only a salted, slow fingerprint of it is
kept (in a tag): enough to notice rotation, and no cheap way to confirm a guess, since the salt is
random per provider and scrypt makes each guess cost ~16 MiB and tens of milliseconds.

Fingerprints before this scheme were an HMAC keyed by the (public) stack and resource names; they
are still recognised, so the first apply can replace them without claiming the secret changed.
Secrets appear in plans only as `(sensitive)`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

SENSITIVE = "(sensitive)"
FINGERPRINT_TAG = "reconcile:client-secret-fingerprint"
LEGACY_HMAC_TAG = "reconcile:client-secret-hmac"
SCHEME = "scrypt1"
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
# Tag values allow letters, digits, spaces and _.:/=+-@ (AgentCore TagResource): ':' separates, base64 fits.


def secret_fingerprint(secret: str, *, salt: bytes | None = None) -> str:
    """`scrypt1:<salt>:<hash>`, base64; a fresh random salt unless one is given (to verify)."""
    salt = salt if salt is not None else os.urandom(16)
    digest = _scrypt(secret, salt)
    return f"{SCHEME}:{base64.b64encode(salt).decode()}:{base64.b64encode(digest).decode()}"


@lru_cache(maxsize=64)
def _scrypt(secret: str, salt: bytes) -> bytes:
    """Slow on purpose, so a process that plans the same stack again (tests, a long-lived caller) keeps the
    answer: it holds the secret itself anyway, and nothing of this leaves the process."""
    return hashlib.scrypt(secret.encode(), salt=salt, **SCRYPT)


def fingerprint_matches(secret: str, fingerprint: str, *, stack: str, resource: str) -> bool:
    scheme, _, rest = fingerprint.partition(":")
    if scheme == SCHEME:
        salt, _, _ = rest.partition(":")
        try:
            expected = secret_fingerprint(secret, salt=base64.b64decode(salt, validate=True))
        except ValueError:
            return False
        return hmac.compare_digest(expected, fingerprint)
    legacy = hmac.new(f"reconcile:{stack}:{resource}".encode(), secret.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(legacy, fingerprint)


def fingerprint_scheme(fingerprint: str) -> str:
    """How a stored fingerprint was made: scrypt1, hmac-sha256 (the guessable legacy one) or none."""
    if not fingerprint:
        return "none"
    return SCHEME if fingerprint.startswith(f"{SCHEME}:") else "hmac-sha256"
