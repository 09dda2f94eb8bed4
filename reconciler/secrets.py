"""Secret handling. A secret can't be read back from AWS, so only a salted, slow fingerprint of it is
kept (in a tag): enough to notice rotation, and no cheap way to confirm a guess, since the salt is
random per provider (and per process: `_salt`) and scrypt makes each guess cost ~16 MiB and tens of milliseconds.

Fingerprints before this scheme were an HMAC keyed by the (public) stack and resource names; they
are still recognised, so the first apply can replace them without claiming the secret changed.
Secrets appear in plans only as `(sensitive)`; and every value that came from a sensitive source (a field a
kind marks sensitive, an environment variable named like a secret, token, key or password, AWS credentials)
is redacted wherever else it appears, interpolated into another field included (`redact`, `redact_value`):
the text, JSON and markdown plans, saved plans and error messages all pass through them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import threading
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

SENSITIVE = "(sensitive)"
FINGERPRINT_TAG = "reconcile:client-secret-fingerprint"
LEGACY_HMAC_TAG = "reconcile:client-secret-hmac"
SCHEME = "scrypt1"
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
# Tag values allow letters, digits, spaces and _.:/=+-@ (AgentCore TagResource): ':' separates, base64 fits.


def secret_fingerprint(secret: str, *, resource: str, salt: bytes | None = None) -> str:
    """`scrypt1:<salt>:<hash>`, base64; the process's random salt for this secret and resource unless one is
    given (to verify)."""
    salt = salt if salt is not None else _salt(secret, resource)
    digest = _scrypt(secret, salt)
    return f"{SCHEME}:{base64.b64encode(salt).decode()}:{base64.b64encode(digest).decode()}"


@lru_cache(maxsize=64)
def _salt(secret: str, resource: str) -> bytes:
    """A random salt drawn once per process for each secret and resource: a plan and the apply that follows
    (and every plan of a long-lived caller, such as the test suite) fingerprint a new secret once, not each time
    (scrypt is slow on purpose); two providers sharing a secret, or two runs, still get different tags."""
    del secret, resource  # the cache key
    return os.urandom(16)


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
            expected = secret_fingerprint(secret, resource=resource, salt=base64.b64decode(salt, validate=True))
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


SENSITIVE_NAME = re.compile(r"secret|token|key|passw|credential|private", re.IGNORECASE)
NOT_A_VALUE = re.compile(r"_(FILE|PATH|DIR|HOME)$", re.IGNORECASE)
"""Variables that name where a secret is (AWS_SHARED_CREDENTIALS_FILE), not the secret itself."""
SHORTEST = 8
"""Shorter values are not redacted: `true` or `sandbox` would blank unrelated text, and no real secret is that short."""
_remembered: set[str] = set()
_remembered_lock = threading.Lock()


def remember_secret(value: str) -> None:
    """A value that must never be shown (a sensitive field's value, whatever variable it came from)."""
    if len(value) >= SHORTEST:
        with _remembered_lock:
            _remembered.add(value)


def sensitive_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """The values to redact, longest first (so a secret holding another is replaced whole)."""
    env = os.environ if environ is None else environ
    found = set(_sensitive_in(frozenset(env.items())))
    with _remembered_lock:
        found |= _remembered
    return sorted(found, key=len, reverse=True)


@lru_cache(maxsize=16)
def _sensitive_in(environ: frozenset[tuple[str, str]]) -> frozenset[str]:
    """Kept per environment: a plan redacts each of its thousands of lines, and matching every variable's name
    each time was a tenth of a test run's time; the environment itself is still read on every call."""
    return frozenset(
        value
        for name, value in environ
        if SENSITIVE_NAME.search(name) and not NOT_A_VALUE.search(name) and len(value) >= SHORTEST
    )


def redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    for value in sensitive_values(environ):
        if value in text:
            text = text.replace(value, SENSITIVE)
    return text


def redact_value(value: Any, environ: Mapping[str, str] | None = None) -> Any:
    """Every string in a JSON-like value (keys included) redacted."""
    values = sensitive_values(environ)
    if not values:
        return value

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            for secret in values:
                if secret in item:
                    item = item.replace(secret, SENSITIVE)
            return item
        if isinstance(item, dict):
            return {walk(k): walk(v) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [walk(v) for v in item]
        return item

    return walk(value)
