"""Who can reach the MCP server over HTTP: the address checked before it listens (`check_bind`, called by
server/__main__.py) and the Host/Origin check on every route (`HostOriginCheck`, put in front by
server/app.py's `http_app`).

- Host and Origin are checked on every route with the SDK's transport security (DNS rebinding: a web
  page whose domain an attacker re-points at this machine must get 421/403, not data). Loopback names
  are always allowed; operators add the names clients use (`--allowed-host`, `--allowed-origin`). A request
  with two Host or two Origin fields gets 400: an intermediary that reads the last one would see another
  name than the check did (RFC 9112 §3.2 asks 400 for a second Host).
- Header values lose the optional whitespace around them (RFC 9110 §5.5 OWS), which llhttp keeps at the
  end, before anything compares them (the SDK's `Mcp-Name`/`Mcp-Method` checks of MCP 2026-07-28).
- An AWS_IAM (or NONE) gateway needs no caller credential: the server signs with its own, so anyone who
  reaches the port acts as the server's AWS principal - links their GitHub to it, reads what others
  linked. Authentication in front (AgentCore Runtime's SigV4 inbound) does not change that: the Runtime
  passes nothing about the caller, so every caller still shares the server's one GitHub link (AWS_FACTS.md,
  "Identity through the Runtime"). Such a server listens on loopback only, unless the operator states that
  only one person can reach it: `--single-user`.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Sequence

from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
ALLOWED_CACHE_SIZE = 1024
SELF_SIGNING_AUTHORIZERS = frozenset({"AWS_IAM", "NONE"})
log = logging.getLogger("server.exposure")  # the name its warnings have always had
_HOST = r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::[0-9]{1,5})?"
HOST_HEADER = re.compile(_HOST)
ORIGIN_HEADER = re.compile(rf"https?://{_HOST}")
"""The SDK's `name:*` patterns compare prefixes, so `127.0.0.1:*` would also admit `127.0.0.1:1.evil.example`;
values that are not a host[:port] (or scheme://host[:port]) are refused before its check."""
SINGLE_FIELDS = (b"host", b"origin")
OWS = b" \t"


class ExposureError(Exception):
    """The requested address is not safe for this gateway's authorizer; the message says what to do."""


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, authorizer: str, *, single_user: bool) -> None:
    """Raises ExposureError when an AWS_IAM/NONE server would listen where others can share its identity."""
    if authorizer not in SELF_SIGNING_AUTHORIZERS or is_loopback(host) or single_user:
        return
    raise ExposureError(
        f"the gateway uses {authorizer}, so this server calls it with its own AWS credentials, not the caller's: "
        f"on {host} everyone who reaches the port would act as this server's AWS principal and share one GitHub "
        "link. Use a CUSTOM_JWT gateway (each caller's own JWT), listen on 127.0.0.1, or, if only you can reach "
        "this server (an authenticating proxy or an AgentCore Runtime that only you may invoke), say so with "
        "--single-user"
    )


def transport_security(allowed_hosts: Sequence[str], allowed_origins: Sequence[str]) -> TransportSecuritySettings:
    """Always on: loopback names (any port) plus what the operator allows. `host:*` allows any port."""
    hosts = [name for loopback in LOOPBACK_NAMES for name in (loopback, f"{loopback}:*")]
    origins = [
        f"{scheme}://{name}{port}" for scheme in ("http", "https") for name in LOOPBACK_NAMES for port in ("", ":*")
    ]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[*hosts, *_clean(allowed_hosts)],
        allowed_origins=[*origins, *_clean(allowed_origins)],
    )


class HostOriginCheck:
    """The SDK checks Host/Origin on its MCP endpoint only; this applies the same settings to every route
    (/healthz names the stack and the gateway)."""

    def __init__(self, app: ASGIApp, settings: TransportSecuritySettings):
        self.app, self.settings = app, settings
        self._check = TransportSecurityMiddleware(settings)
        self._allowed: set[tuple[str, str]] = set()
        """(Host, Origin) pairs already let through: the verdict depends on nothing else (refusals are
        checked and logged every time)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope, repeated = _trimmed(scope)
        if repeated:
            log.warning("refused a request with more than one %s field", repeated.decode())
            await Response(f"More than one {repeated.decode()} header", status_code=400)(scope, receive, send)
            return
        pair = (_header(scope, b"host"), _header(scope, b"origin"))
        if pair not in self._allowed:
            refusal = _malformed(*pair) or await self._check.validate_request(Request(scope), is_post=False)
            if refusal is not None:
                log.warning(
                    "refused a request with Host %r / Origin %r: allow the names clients use with "
                    "--allowed-host / --allowed-origin",
                    pair[0][:200],
                    pair[1][:200],
                )
                await refusal(scope, receive, send)
                return
            if len(self._allowed) < ALLOWED_CACHE_SIZE:
                self._allowed.add(pair)
        await self.app(scope, receive, send)


def _trimmed(scope: Scope) -> tuple[Scope, bytes | None]:
    """The scope with every header value stripped of OWS (a copy only when one had it), and the name of a
    field among Host and Origin that comes more than once, if any. Runs on every request (~3.6 us, 9 fields)."""
    headers = scope["headers"]
    names = [name.lower() for name, _ in headers]
    repeated = next((name for name in SINGLE_FIELDS if names.count(name) > 1), None)
    if repeated is not None or all(value == value.strip(OWS) for _, value in headers):
        return scope, repeated
    return {**scope, "headers": [(name, value.strip(OWS)) for name, value in headers]}, None


def _malformed(host: str, origin: str) -> Response | None:
    if not HOST_HEADER.fullmatch(host):
        return Response("Invalid Host header", status_code=421)
    if origin and not ORIGIN_HEADER.fullmatch(origin):
        return Response("Invalid Origin header", status_code=403)
    return None


def _clean(values: Sequence[str]) -> list[str]:
    return [v.strip() for v in values if v.strip()]


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""
