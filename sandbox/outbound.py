"""The HTTP clients the sandbox itself uses (to the identity provider's JWKS, target servers, runtime and
function processes), all with one TLS context: building httpx's default context loads certifi's bundle
(~30 ms), and a sandbox reset built three clients, which was an eighth of a lifecycle test's time."""

from __future__ import annotations

import ssl
from functools import lru_cache

import httpx


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def http_client(*, timeout: float | None = 5.0) -> httpx.Client:
    """httpx.Client(timeout=...) as before, its certificate checks unchanged, without rebuilding them."""
    return httpx.Client(timeout=timeout, verify=_tls())
