"""An httpx transport behind GatewayTransport, for tests that hand in `httpx.MockTransport`. Imported
only then: httpx (with the rich and pygments its CLI pulls in) is not loaded by a serving mcp-server."""

from __future__ import annotations

import httpx

from server.gateway_http import Answer, TimedOut, Unreachable


class HttpxTransport:
    """An httpx transport behind the same interface (tests: `httpx.MockTransport`)."""

    def __init__(self, transport: httpx.AsyncBaseTransport, *, timeout: float = 30.0):
        self._transport = transport
        self._timeout = httpx.Timeout(timeout, connect=5.0).as_dict()

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        request = httpx.Request("POST", url, content=body, headers=headers, extensions={"timeout": self._timeout})
        try:
            response = await self._transport.handle_async_request(request)
            try:
                return Answer(response.status_code, await response.aread())
            finally:
                await response.aclose()
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as exc:
            raise Unreachable(type(exc).__name__) from exc
        except httpx.TimeoutException as exc:
            raise TimedOut(str(exc)) from exc

    async def aclose(self) -> None:
        await self._transport.aclose()
