"""The callback app's addresses, and the one-time consent link the MCP server hands out (DESIGN §5).

The MCP server never gives a user AgentCore's authorization URL. It gives `<callback>/oauth/start?link=<value>`,
a random value whose hash is stored with the session: the callback signs that browser in as the
session's initiator, marks it with a cookie of its own, and only then sends it on to AgentCore. The
callback's pages all sit beside the configured callback URL (`.../oauth/callback`), so each address is
derived from it here - never from a request's Host header, which is the client's to choose.
"""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlencode, urlsplit

CALLBACK_PATH = "/oauth/callback"
"""Where AgentCore sends the browser after consent (`?session_id=<session URI>`)."""
START_PATH = "/oauth/start"
"""Where the one-time consent link points (`?link=<value>`)."""
RETURN_PATH = "/oauth/signed-in"
"""Where the identity provider sends the browser back after a sign-in."""
LINK_PARAM = "link"
LINK_BYTES = 32
"""256 random bits: the value cannot be guessed, so storing only its SHA-256 is enough (no salt)."""


def callback_address(callback_url: str, path: str) -> str:
    """`path` on the callback app configured as `callback_url` (which may sit under a path prefix)."""
    parts = urlsplit(callback_url)
    prefix = parts.path[: -len(CALLBACK_PATH)] if parts.path.endswith(CALLBACK_PATH) else ""
    return f"{parts.scheme}://{parts.netloc}{prefix}{path}"


def new_link_value() -> str:
    return secrets.token_urlsafe(LINK_BYTES)


def consent_link(callback_url: str, value: str) -> str:
    """The link a user opens to authorize: the callback's start page with the one-time value."""
    return f"{callback_address(callback_url, START_PATH)}?{urlencode({LINK_PARAM: value})}"


def digest(value: str) -> str:
    """What the session store keeps of a one-time link value or a browser cookie: its SHA-256, hex."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
