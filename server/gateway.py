"""JSON-RPC `tools/call` to the AgentCore gateway over one pooled connection (server/gateway_http.py).
JSON in and out with pydantic-core's parser and serializer (4x faster than the json module here).

Outcomes are values the tools turn into results: `Elicitation` (-32042: the user must authorize),
`GatewayFailure` (anything that went wrong, with a message for people), or the parsed body.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, urlparse

from pydantic_core import from_json, to_json

from server.gateway_http import AiohttpTransport, Answer, GatewayTransport, TimedOut, Unreachable
from server.github_errors import github_error_text
from server.identity import Caller, IdentitySettings, sign_headers

if TYPE_CHECKING:
    import httpx

PROTOCOL_VERSION = "2025-11-25"
URL_ELICITATION_REQUIRED = -32042
RETRY_STATUS = frozenset({502, 503, 504})
RETRY_DELAYS = (0.2, 0.6)
MAX_LIST_PAGES = 50
log = logging.getLogger("server.gateway")


@dataclass(frozen=True)
class Elicitation:
    url: str
    elicitation_id: str
    message: str

    @property
    def session_uri(self) -> str | None:
        """The `request_uri` the callback will receive back as `session_id`."""
        values = parse_qs(urlparse(self.url).query).get("request_uri")
        return values[0] if values else None


class GatewayFailure(Exception):
    """A call that did not produce data; the message is meant for the user."""


class GatewayClient:
    """Calls go straight to one pooled transport: the gateway needs no cookies, redirects or auth flows.
    `transport`: a GatewayTransport, or an httpx transport (tests hand in `httpx.MockTransport`)."""

    def __init__(
        self,
        url: str,
        identity: IdentitySettings,
        *,
        timeout: float = 30.0,
        transport: GatewayTransport | httpx.AsyncBaseTransport | None = None,
    ):
        self.url, self.identity = url, identity
        self._ids = itertools.count(1)
        self._transport: GatewayTransport
        if transport is None:
            self._transport = AiohttpTransport(timeout=timeout)
        elif hasattr(transport, "handle_async_request"):
            from server.gateway_httpx import HttpxTransport  # httpx only when a test hands one in

            self._transport = HttpxTransport(cast("httpx.AsyncBaseTransport", transport), timeout=timeout)
        else:
            self._transport = transport

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def call_tool(self, name: str, arguments: dict[str, Any], caller: Caller) -> Any | Elicitation:
        """The tool's data (parsed JSON), or an Elicitation; raises GatewayFailure."""
        body = to_json(
            {
                "jsonrpc": "2.0",
                "id": next(self._ids),
                "method": "tools/call",
                "params": {"name": name, "arguments": arguments},
            }
        )
        response = await self._post(body, caller)
        log.debug("%s: the gateway answered HTTP %d (%d bytes)", name, response.status, len(response.body))
        return _outcome(response, name)

    async def list_tools(self, caller: Caller) -> list[dict[str, Any]]:
        """Every tool the gateway lists for this caller (all pages); raises GatewayFailure."""
        tools: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(MAX_LIST_PAGES):
            params = {"cursor": cursor} if cursor else {}
            body = to_json({"jsonrpc": "2.0", "id": next(self._ids), "method": "tools/list", "params": params})
            try:
                result = _result(await self._post(body, caller), "tools/list")
            except _Elicitation as asked:
                raise GatewayFailure("the gateway asked for authorization to list its tools") from asked
            tools.extend(t for t in result.get("tools") or [] if isinstance(t, dict) and isinstance(t.get("name"), str))
            cursor = result.get("nextCursor")
            if not isinstance(cursor, str) or not cursor:
                return tools
        raise GatewayFailure(f"the gateway's tool list did not end after {MAX_LIST_PAGES} pages")

    async def _post(self, body: bytes, caller: Caller) -> Answer:
        for attempt, delay in enumerate((*RETRY_DELAYS, None)):
            headers = self._headers(body, caller)
            try:
                response = await self._transport.post(self.url, body, headers)
            except Unreachable as exc:
                if delay is None:
                    raise GatewayFailure(f"cannot reach the gateway ({exc}); try again shortly") from exc
                log.warning("gateway unreachable (attempt %d), retrying", attempt + 1)
            except TimedOut as exc:
                raise GatewayFailure("the gateway did not answer in time; try again") from exc
            else:
                if response.status not in RETRY_STATUS or delay is None:
                    return response
                log.warning("gateway answered HTTP %d (attempt %d), retrying", response.status, attempt + 1)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    def _headers(self, body: bytes, caller: Caller) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": PROTOCOL_VERSION,
        }
        if self.identity.authorizer == "AWS_IAM":
            return sign_headers(self.identity, self.url, body, headers)
        if caller.bearer:
            headers["Authorization"] = f"Bearer {caller.bearer}"
        return headers


def _outcome(response: Answer, tool: str) -> Any | Elicitation:
    try:
        return _data(_result(response, tool))
    except _Elicitation as asked:
        return asked.elicitation


class _Elicitation(Exception):
    def __init__(self, elicitation: Elicitation):
        self.elicitation = elicitation


def _result(response: Answer, tool: str) -> dict[str, Any]:
    """The JSON-RPC result; raises GatewayFailure, or _Elicitation for -32042."""
    try:
        message = from_json(response.body)
    except ValueError:
        raise GatewayFailure(f"the gateway answered HTTP {response.status} with a body that is not JSON") from None
    if not isinstance(message, dict):
        raise GatewayFailure(f"the gateway answered HTTP {response.status} with an unexpected body")
    error = message.get("error")
    if isinstance(error, dict):
        if error.get("code") == URL_ELICITATION_REQUIRED:
            raise _Elicitation(_elicitation(error))
        if response.status in (401, 403):
            raise GatewayFailure(f"the gateway rejected your credential: {error.get('message', 'unauthorized')}")
        raise GatewayFailure(
            f"the gateway refused {tool}: {error.get('message', 'unknown error')} (code {error.get('code')})"
        )
    if response.status >= 400:
        raise GatewayFailure(f"the gateway answered HTTP {response.status}")
    result = message.get("result")
    if not isinstance(result, dict):
        raise GatewayFailure("the gateway's answer has no result")
    return result


def _elicitation(error: dict[str, Any]) -> Elicitation:
    elicitations = (error.get("data") or {}).get("elicitations") or []
    first = next((e for e in elicitations if isinstance(e, dict) and e.get("url")), None)
    if first is None:
        raise GatewayFailure("the gateway asked for authorization but sent no authorization URL")
    return Elicitation(
        url=str(first["url"]),
        elicitation_id=str(first.get("elicitationId", "")),
        message=str(first.get("message") or "Authorization is required."),
    )


def _data(result: dict[str, Any]) -> Any:
    """UNCONFIRMED result shape (AWS_FACTS): JSON text in content[], or structuredContent."""
    texts = [c.get("text", "") for c in result.get("content") or [] if isinstance(c, dict) and c.get("type") == "text"]
    parsed: Any = None
    for text in texts:
        try:
            parsed = from_json(text)
            break
        except ValueError:
            continue
    if parsed is None and isinstance(result.get("structuredContent"), dict):
        structured = result["structuredContent"]
        parsed = structured.get("result", structured) if set(structured) == {"result"} else structured
    if result.get("isError"):
        if isinstance(parsed, dict) and "message" in parsed:
            raise GatewayFailure(github_error_text(parsed, texts[0] if texts else ""))
        raise GatewayFailure(f"the call failed: {(texts[0] if texts else '').strip()[:500] or 'no details'}")
    if parsed is None:
        raise GatewayFailure("the gateway returned no JSON data for this tool")
    return parsed
