"""How a gateway call travels: one POST, answered with a status and a body. The default is one pooled
aiohttp session (chosen by measurement: ~110-130 us of client CPU per call against ~470 us for httpx2's
transport and more for httpx's, whose pool checks every idle socket on every request; bench/server_overhead.py);
server/gateway_httpx.py adapts an httpx transport (tests hand in `httpx.MockTransport`).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import certifi


class Unreachable(Exception):
    """No answer because the connection failed or broke (worth a retry)."""


class TimedOut(Exception):
    """The gateway did not answer in time (not retried: it may still be working on the call)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


class GatewayTransport(Protocol):
    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer: ...

    async def aclose(self) -> None: ...


def _trust() -> ssl.SSLContext:
    """The CA bundle httpx used for the gateway before (certifi's), whatever the host's own store holds."""
    return ssl.create_default_context(cafile=certifi.where())


class AiohttpTransport:
    """One keep-alive pool per process; the session is created on first use, on the serving loop."""

    def __init__(self, *, timeout: float = 30.0, connect_timeout: float = 5.0, max_connections: int = 100):
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)
        self._limit = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _current(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._limit, ttl_dns_cache=300, ssl=_trust())
            # no cookies, no proxy variables, no auto-decompression requests: a plain pooled POST
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False
            )
        return self._session

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        try:
            async with self._current().post(url, data=body, headers=headers, allow_redirects=False) as answer:
                return Answer(answer.status, await answer.read())
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise TimedOut(str(exc)) from exc
        except aiohttp.ClientError as exc:
            raise Unreachable(type(exc).__name__) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
