"""Who an OAuth session belongs to: the identifier CompleteResourceTokenAuth takes for that caller,
and the name people see for it. Shared by mcp-server (records) and oauth-callback (shows, binds)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import jwt

IdentifierKind = Literal["userToken", "userId"]
"""`userToken`: the caller's exact inbound JWT (CUSTOM_JWT gateways); `userId`: an id (AWS_IAM, NONE)."""

UNKNOWN_USER = "unknown user"


def display_name(claims: Mapping[str, Any]) -> str:
    """For people, not for trust: the first of username, preferred_username, email, sub."""
    for claim in ("username", "preferred_username", "email", "sub"):
        if claims.get(claim):
            return str(claims[claim])
    return UNKNOWN_USER


def unverified_claims(token: str) -> dict[str, Any] | None:
    """The claims of a JWT the gateway verifies (here only read, to name or match its user)."""
    try:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return claims
