"""Bounded request heads for both programs' uvicorn (`mcp-server`: server/serving.py; `oauth-callback`:
callback/__main__.py): at most MAX_HEAD_BYTES of request line and fields, MAX_FIELDS fields, and HEAD_SECONDS
from a connection's first byte (or its opening) to the end of the head. Past a limit the answer is 431 (414 for
the URL, 408 for time) with `Connection: close`, and the connection is closed.

Why a protocol of our own: uvicorn has no such option for httptools (llhttp buffers a field of any size; the
red team held 20 MB heads open), and none for the time to receive a head on any parser (its keep-alive timer
starts after the first response and any byte cancels it). `--http h11` bounds the bytes
(`h11_max_incomplete_event_size`, 16 KiB) but not the fields or the time, and costs ~110 us more CPU per
request than httptools (measured: 183-212 against 76-96 us, uvicorn + uvloop, one keep-alive client), a
quarter of the server's whole budget per tool call (README, Performance). So this keeps uvicorn's httptools
protocol and adds the three bounds around its parser callbacks, at ~4 us per request (in-process, parse to
ASGI start, min of 4 runs: 8.7 -> 12.4 us): fields are counted once per head, and a connection has at most one
head timer, re-armed when it fires, rather than two timer calls per request.

The defaults are what proxies in front use, so a head that passes the proxy passes here (README,
"Request heads"): 32 KiB is nginx's largest head (`large_client_header_buffers 4 8k`; AWS ALB takes 64 KB,
Node.js and h11 16 KiB), 100 fields is Apache's `LimitRequestFields`, 20 s is Apache mod_reqtimeout's
`header=20-40` (nginx's `client_header_timeout` is 60 s).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 32 * 1024
MAX_FIELDS = 100
HEAD_SECONDS = 20.0
PROTOCOL = "handoff.request_heads:BoundedHttpTools"
"""uvicorn's `http` setting: a name, so `--workers` processes import it rather than unpickle a class."""
REASONS = {408: b"Request Timeout", 414: b"URI Too Long", 431: b"Request Header Fields Too Large"}
log = logging.getLogger("uvicorn.error")

Phase = Literal["idle", "head", "body"]


class HeadRefused(Exception):
    """Raised inside a parser callback: stops llhttp; `data_received` answers `status` and closes."""

    def __init__(self, status: int, why: str):
        super().__init__(why)
        self.status = status


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with the head bounded in bytes, fields and time (class attributes, so a
    test can shorten them in a subclass)."""

    max_head_bytes = MAX_HEAD_BYTES
    max_fields = MAX_FIELDS
    head_seconds = HEAD_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._phase: Phase = "idle"
        self._begun = 0
        self._parsed = 0
        """Bytes of the open head's URL, as the parser hands it over."""
        self._read = 0
        """Bytes of the reads that lay wholly inside the open head (llhttp keeps an unfinished field to itself)."""
        self._head_since = 0.0
        """When the open head's clock started: the connection's opening, or the request's first byte."""
        self._head_timer: asyncio.TimerHandle | None = None
        """At most one per connection, re-armed when it fires during a head: not two timer calls per request."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_since = self.loop.time()
        self._arm(self.head_seconds)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """uvicorn's, plus the byte count of reads: one that lies wholly inside the open head counts whole; one
        where the head began after another message's end does not (the bound is then one read larger)."""
        entered, begun = self._phase, self._begun
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            refused = exc.__context__
            if isinstance(refused, HeadRefused):
                self._refuse(refused.status, str(refused))
            else:
                self._invalid()
            return
        except httptools.HttpParserError:
            self._invalid()
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self._phase == "head":
            if (entered == "head" and self._begun == begun) or (entered == "idle" and self._begun == begun + 1):
                self._read += len(data)
            if self._read > self.max_head_bytes:
                self._refuse(431, f"a request head over {self.max_head_bytes} bytes")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._begun:  # the first request's clock started when the connection opened
            self._head_since = self.loop.time()
        self._phase, self._begun, self._parsed, self._read = "head", self._begun + 1, 0, 0
        self._arm(self.head_seconds)

    def on_url(self, url: bytes) -> None:
        self._parsed += len(url)
        if self._parsed > self.max_head_bytes:
            raise HeadRefused(414, f"a URL over {self.max_head_bytes} bytes")
        HttpToolsProtocol.on_url(self, url)

    def on_headers_complete(self) -> None:
        """The whole head's fields are counted here, once (a hook per field costs ~6 us per request): a head
        that ended inside one read was never held beyond that read."""
        self._phase = "body"
        if len(self.headers) > self.max_fields:
            raise HeadRefused(431, f"more than {self.max_fields} header fields")
        if self._parsed + sum(len(name) + len(value) + 4 for name, value in self.headers) > self.max_head_bytes:
            raise HeadRefused(431, f"a request head over {self.max_head_bytes} bytes")
        HttpToolsProtocol.on_headers_complete(self)

    def on_message_complete(self) -> None:
        self._phase = "idle"
        HttpToolsProtocol.on_message_complete(self)

    def _arm(self, delay: float) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(delay, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        waiting = self._phase == "head" or self._begun == 0  # a head is open, or none has come yet
        if self.transport.is_closing() or not waiting:
            return
        remaining = self._head_since + self.head_seconds - self.loop.time()
        if remaining > 0:  # armed for an earlier head that completed in time
            self._arm(remaining)
        elif self._phase == "head":
            self._refuse(408, f"a request head not received within {self.head_seconds:g} s")
        else:
            self.transport.close()  # opened and silent: nothing to answer

    def _refuse(self, status: int, why: str) -> None:
        self._disarm()
        if self.transport.is_closing():
            return
        log.warning("%s from %s: answered %d and closed", why, self.client and self.client[0], status)
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # a pipelined head: an answer now would cut into the previous one
            return
        body = why.encode() + b"\n"
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n%s" % (status, REASONS[status], len(body), body)
        )
        self.transport.close()

    def _invalid(self) -> None:
        msg = "Invalid HTTP request received."
        log.warning(msg)
        self.send_400_response(msg)


def head_settings() -> dict[str, Any]:
    """uvicorn.run / uvicorn.Config settings both programs serve with."""
    return {"http": PROTOCOL}
