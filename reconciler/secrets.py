"""Secret handling. A secret can't be read back from AWS, so we keep only an HMAC of it in a tag:
enough to notice rotation, nothing reversible. Secrets appear in plans only as `(sensitive)`."""

from __future__ import annotations

import hashlib
import hmac

SENSITIVE = "(sensitive)"
SECRET_HMAC_TAG = "reconcile:client-secret-hmac"


def secret_fingerprint(secret: str, *, stack: str, resource: str) -> str:
    key = f"reconcile:{stack}:{resource}".encode()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()
