"""Forgetting an abandoned session's initiator when it expires (issue 26), for both session stores.

A session nobody opens again used to keep its initiator - a CUSTOM_JWT user's bearer token - until the next
call to the store (SQLite) or until DynamoDB's TTL removed the item, which AWS runs lazily, typically within
a few days. So the process that records a session (mcp-server) also asks for it to be blanked at its expiry:
`blank_at(expires_at, store.blank_expired, key)`. One daemon thread per process sleeps until the earliest
expiry and calls the store; stores are held weakly, so a store dropped by its owner is not kept alive for
its timers. A process that exits before the expiry leaves the session to the stores' other paths (README,
"What is stored where").
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
import weakref
from collections.abc import Callable

log = logging.getLogger("handoff.expiry")

Blank = Callable[[str], None]
_due: list[tuple[float, int, weakref.WeakMethod[Blank], str]] = []
_order = itertools.count()
_changed = threading.Condition()
_worker: threading.Thread | None = None


def blank_at(when: float, blank: Blank, key: str) -> None:
    """Call `blank(key)` (a bound method of a store) once the clock reaches `when` (epoch seconds)."""
    global _worker
    with _changed:
        heapq.heappush(_due, (when, next(_order), weakref.WeakMethod(blank), key))
        if _worker is None:
            _worker = threading.Thread(target=_run, name="session-expiry", daemon=True)
            _worker.start()
        _changed.notify()


def pending() -> int:
    """How many blankings are waiting (for tests and diagnostics)."""
    with _changed:
        return len(_due)


def _run() -> None:
    while True:
        with _changed:
            while not _due or _due[0][0] > time.time():
                _changed.wait(None if not _due else _due[0][0] - time.time())
            _, _, method, key = heapq.heappop(_due)
        blank = method()
        if blank is None:
            continue  # the store is gone
        try:
            blank(key)
        except Exception as exc:  # a store that cannot be reached now: the stores' other paths still apply
            log.warning("could not forget an expired OAuth session's initiator: %s", type(exc).__name__)
