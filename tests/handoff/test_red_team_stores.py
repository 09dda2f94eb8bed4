"""Red-team checks on the two session stores (SQLite, DynamoDB from moto), beyond test_session_stores.py.

Each check began as an xfail(strict=True) reproduction of a hole and passes since the fix:

- A cancelled (burned) or completed session came back to life when the same session URI is recorded
  again: SQLite's `INSERT OR REPLACE` and DynamoDB's unconditional `Put` overwrote used_at, burned and
  browser_hash. GetResourceOauth2Token takes a sessionUri as input ("tracks the authorization flow state
  across multiple requests"), so the store must not rely on AgentCore never handing the same URI out twice.
- Withstood: two browsers racing to bind one session (exactly one wins, in both stores).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from handoff.dynamodb_sessions import DynamoDbSessionStore
from handoff.links import digest
from handoff.sessions import SessionUnavailable
from handoff.sqlite_sessions import SqliteSessionStore
from tests.handoff.test_session_stores import TOKEN, URI, MakeStore, make_table
from tests.sessions import record


@pytest.fixture(params=["sqlite", "dynamodb"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> MakeStore:
    """As in test_session_stores.py: stores over one shared place (file, or moto table through the sandbox)."""
    if request.param == "sqlite":
        return lambda ttl=600.0: SqliteSessionStore(tmp_path / "s.sqlite3", ttl=ttl)
    request.getfixturevalue("sandbox")
    table = make_table("sessions")
    return lambda ttl=600.0: DynamoDbSessionStore(table, region="us-east-1", ttl=ttl)


@pytest.mark.parametrize("ended_by", ["burn", "consume"])
def test_recording_an_ended_session_again_does_not_revive_it(make_store: MakeStore, ended_by: str) -> None:
    """Bob's browser landed without alice's cookie: the session is burned. If the gateway hands the same session URI
    to alice's next call (AgentCore resuming the pending session), mcp-server records it again; that record must not
    give alice a fresh, unburned session whose AgentCore side still holds bob's consent."""
    store = make_store()
    record(store, URI, TOKEN)
    store.bind_browser(URI, digest("bob's landing never matched this"))
    getattr(store, ended_by)(URI)
    with pytest.raises(SessionUnavailable):
        store.get(URI)
    try:
        value = record(store, URI, TOKEN)  # the fix may refuse here (an error) or keep the row ended
    except Exception:
        value = None
    with pytest.raises(SessionUnavailable):
        store.get(URI)
    if value is not None:
        with pytest.raises(SessionUnavailable):
            store.get_by_link(digest(value))


def test_two_browsers_racing_to_bind_one_session_exactly_one_wins(make_store: MakeStore) -> None:
    """Withstood: bind_browser is atomic (SQLite IMMEDIATE transaction, DynamoDB conditional update)."""
    record(make_store(), URI, TOKEN)
    barrier = threading.Barrier(6)
    results: list[str] = []

    def bind(n: int) -> None:
        store = make_store()
        barrier.wait()
        try:
            store.bind_browser(URI, f"browser-{n}")
            results.append(f"bound browser-{n}")
        except SessionUnavailable as exc:
            results.append(exc.reason)

    threads = [threading.Thread(target=bind, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    winners = [r for r in results if r.startswith("bound")]
    assert len(winners) == 1 and results.count("elsewhere") == 5, results
    assert make_store().get(URI).browser_hash == winners[0].removeprefix("bound ")
