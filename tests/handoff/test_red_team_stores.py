"""Red-team checks on the two session stores (SQLite, DynamoDB from moto), beyond test_session_stores.py.

Each check began as an xfail(strict=True) reproduction of a hole and passes since the fix:

- A cancelled (burned) or completed session came back to life when the same session URI is recorded
  again: SQLite's `INSERT OR REPLACE` and DynamoDB's unconditional `Put` overwrote used_at, burned and
  browser_hash. GetResourceOauth2Token takes a sessionUri as input ("tracks the authorization flow state
  across multiple requests"), so the store must not rely on AgentCore never handing the same URI out twice.
- A session nobody opened again kept the initiator's token until the next call to the store (SQLite) or until
  DynamoDB's TTL deleted the item, which AWS does lazily, typically within days (issue 26).
- Withstood: two browsers racing to bind one session (exactly one wins, in both stores).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import boto3
import pytest

from handoff.dynamodb_sessions import KEY, DynamoDbSessionStore
from handoff.links import digest
from handoff.sessions import SessionStore, SessionUnavailable
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


@pytest.mark.parametrize("kind", ["sqlite", "dynamodb"])
def test_an_abandoned_session_forgets_its_token_at_expiry_without_another_call(
    request: pytest.FixtureRequest, tmp_path: Path, kind: str
) -> None:
    """Issue 26: a session nobody opens kept the initiator's JWT until the next call to the store (SQLite) or until
    DynamoDB's TTL removed the item (lazily, within days). Read here from the storage itself, not through a store
    (whose every call purges): the store that recorded it blanks it once it expires, with no further call."""
    if kind == "sqlite":
        path = tmp_path / "s.sqlite3"
        store: SessionStore = SqliteSessionStore(path, ttl=0.5)

        def stored() -> str:
            with closing(sqlite3.connect(path)) as db:
                row = db.execute("SELECT identifier FROM oauth_sessions WHERE session_uri = ?", (URI,)).fetchone()
            return str(row[0])

    else:
        request.getfixturevalue("sandbox")
        table, client = make_table("sessions"), boto3.client("dynamodb")
        store = DynamoDbSessionStore(table, region="us-east-1", ttl=0.5)

        def stored() -> str:
            item = client.get_item(TableName=table, Key={KEY: {"S": URI}}, ConsistentRead=True)["Item"]
            return str(item.get("identifier", {}).get("S", ""))

    record(store, URI, TOKEN)
    assert stored() == TOKEN  # pending: the token is needed to complete it
    deadline = time.monotonic() + 60  # a hang guard, not a timing
    while stored() == TOKEN:
        assert time.monotonic() < deadline, "the expired session still holds the initiator's token"
        time.sleep(0.1)
    assert stored() == ""
    with pytest.raises(SessionUnavailable, match="expired"):
        store.get(URI)
