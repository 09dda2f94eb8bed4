"""How the callback sets its cookies: HttpOnly, Path=/, and, when its configured URL is https, Secure
with the `__Host-` prefix (which binds a cookie to exactly this host: no Domain, Path=/, Secure).

A callback on plain http (http://127.0.0.1:8080, the local default) cannot use `__Host-`: the prefix
requires Secure, and clients need not store or send Secure cookies over http (browsers make an exception
only for localhost, HTTP libraries mostly do not). There the cookies keep their plain names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from starlette.requests import Request
from starlette.responses import Response

HOST_PREFIX = "__Host-"


@dataclass(frozen=True)
class CookiePolicy:
    secure: bool
    """True when the callback's configured URL is https."""

    def name(self, base: str) -> str:
        return f"{HOST_PREFIX}{base}" if self.secure else base

    def get(self, request: Request, base: str) -> str:
        return request.cookies.get(self.name(base), "")

    def set(
        self, response: Response, base: str, value: str, *, max_age: int, samesite: Literal["lax", "strict"]
    ) -> None:
        response.set_cookie(
            self.name(base), value, max_age=max_age, path="/", secure=self.secure, httponly=True, samesite=samesite
        )

    def delete(self, response: Response, base: str) -> None:
        response.delete_cookie(self.name(base), path="/", secure=self.secure, httponly=True)
