"""The two OAuth session stores, SQLite (one host) and DynamoDB (the sandbox's, from moto), held to
the same semantics: found by session URI and by consent link, bound to one browser, consumed at most
once (also across processes), released only while consumed, burned for good, expired with the token
blanked, and unknown for keys no store could hold."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from handoff.dynamodb_sessions import KEY, DynamoDbSessionStore
from handoff.links import digest
from handoff.sessions import SessionStore, SessionStoreError, SessionUnavailable
from handoff.sqlite_sessions import SqliteSessionStore
from sandbox.server import Sandbox
from tests.sessions import consume_in_child, record

URI = "urn:ietf:params:oauth:request_uri:stores"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"
MakeStore = Callable[..., SessionStore]


def make_table(name: str) -> str:
    boto3.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": KEY, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


@pytest.fixture(params=["sqlite", "dynamodb"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> MakeStore:
    """A factory of stores over one shared place (file or table), each with the `ttl` asked for."""
    if request.param == "sqlite":
        return lambda ttl=600.0: SqliteSessionStore(tmp_path / "s.sqlite3", ttl=ttl)
    request.getfixturevalue("sandbox")
    table = make_table("sessions")
    return lambda ttl=600.0: DynamoDbSessionStore(table, region="us-east-1", ttl=ttl)


def test_found_by_uri_and_by_link(make_store: MakeStore) -> None:
    store = make_store()
    value = record(store, URI, TOKEN, authorization_url="https://agentcore.example/authorize?x=1")
    by_uri, by_link = store.get(URI), store.get_by_link(digest(value))
    assert by_uri == by_link and by_uri.identifier == TOKEN and by_uri.browser_hash is None
    assert by_uri.authorization_url == "https://agentcore.example/authorize?x=1"
    with pytest.raises(SessionUnavailable, match="unknown"):
        store.get_by_link(digest("another"))


def test_bound_to_one_browser(make_store: MakeStore) -> None:
    store = make_store()
    record(store, URI, TOKEN)
    assert store.bind_browser(URI, "first").browser_hash == "first"
    assert store.bind_browser(URI, "first").browser_hash == "first"  # the same browser again
    with pytest.raises(SessionUnavailable, match="elsewhere"):
        store.bind_browser(URI, "second")
    assert store.get(URI).browser_hash == "first"


def test_consumed_once_released_then_burned(make_store: MakeStore) -> None:
    store = make_store()
    record(store, URI, TOKEN)
    store.bind_browser(URI, "b")
    consumed = store.consume(URI)
    assert consumed.identifier == TOKEN and consumed.browser_hash == "b"
    with pytest.raises(SessionUnavailable, match="used"):
        store.consume(URI)
    store.release(consumed)
    assert store.get(URI).identifier == TOKEN and store.get(URI).browser_hash == "b"
    store.burn(URI)
    with pytest.raises(SessionUnavailable, match="used"):
        store.get(URI)
    store.release(consumed)  # a late release (throttled while someone burned it) does not bring it back
    with pytest.raises(SessionUnavailable, match="used"):
        store.get(URI)
    store.burn("urn:ietf:params:oauth:request_uri:never-recorded")  # nothing to burn: no error


def test_a_burned_session_cannot_be_released(make_store: MakeStore) -> None:
    store = make_store()
    record(store, URI, TOKEN)
    store.burn(URI)
    with pytest.raises(SessionUnavailable, match="used"):
        store.consume(URI)


def test_expired_sessions_are_refused_and_lose_their_token(make_store: MakeStore) -> None:
    value = record(make_store(ttl=-1), URI, TOKEN)
    store = make_store()
    with pytest.raises(SessionUnavailable, match="expired"):
        store.get(URI)
    with pytest.raises(SessionUnavailable, match="expired"):
        store.get_by_link(digest(value))
    for change in (store.consume, lambda uri: store.bind_browser(uri, "b")):
        with pytest.raises(SessionUnavailable, match="expired"):
            change(URI)
    with pytest.raises(SessionUnavailable) as raised:
        store.get(URI)
    assert raised.value.reason == "expired"
    assert _stored_identifier(store, URI) == ""


@pytest.mark.parametrize(
    "key", ["", "urn:ietf:params:oauth:request_uri:" + "a" * 3000, "urn:ietf:params:oauth:request_uri:\udcff", "%"]
)
def test_keys_no_store_could_hold_are_unknown(make_store: MakeStore, key: str) -> None:
    store = make_store()
    record(store, URI, TOKEN)
    for read in (store.get, store.consume, lambda k: store.bind_browser(k, "b")):
        with pytest.raises(SessionUnavailable, match="unknown"):
            read(key)
    store.burn(key)
    assert store.get(URI).identifier == TOKEN


def test_consumed_once_across_processes(make_store: MakeStore) -> None:
    store = make_store()
    record(store, URI, TOKEN)
    kind, where = (
        ("sqlite", str(store.path)) if isinstance(store, SqliteSessionStore) else ("dynamodb", store.table)  # type: ignore[attr-defined]
    )
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[str] = context.Queue()
    processes = [context.Process(target=consume_in_child, args=(kind, where, URI, results)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert sorted(results.get(timeout=5) for _ in processes) == ["ok", "used", "used", "used"]


def test_a_missing_or_foreign_table_is_a_clear_error(sandbox: Sandbox) -> None:
    with pytest.raises(SessionStoreError, match="does not exist: run `reconcile apply`"):
        DynamoDbSessionStore("nothing-here", region="us-east-1")
    boto3.client("dynamodb").create_table(
        TableName="other",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    with pytest.raises(SessionStoreError, match="not keyed by session_uri"):
        DynamoDbSessionStore("other", region="us-east-1")


def _stored_identifier(store: SessionStore, uri: str) -> str:
    """The identifier as stored, read past the store's own checks."""
    if isinstance(store, SqliteSessionStore):
        import sqlite3

        row = sqlite3.connect(store.path).execute("SELECT identifier FROM oauth_sessions WHERE session_uri = ?", (uri,))
        return str(row.fetchone()[0])
    item = boto3.client("dynamodb").get_item(TableName="sessions", Key={KEY: {"S": uri}}, ConsistentRead=True)["Item"]
    return str(item["identifier"]["S"])


def test_a_store_of_the_first_layout_gains_the_new_columns(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    path.touch(mode=0o600)
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE oauth_sessions (session_uri TEXT PRIMARY KEY, identifier_kind TEXT NOT NULL, "
            "identifier TEXT NOT NULL, display_name TEXT NOT NULL, created_at REAL NOT NULL, "
            "expires_at REAL NOT NULL, used_at REAL)"
        )
        db.execute("INSERT INTO oauth_sessions VALUES (?, 'userToken', ?, 'alice', ?, ?, NULL)", (URI, TOKEN, 0, 2e9))
    store = SqliteSessionStore(path)
    old = store.get(URI)
    assert old.identifier == TOKEN and old.link_hash is None and old.browser_hash is None
    value = record(store, URI + "-new", TOKEN)
    assert store.get_by_link(digest(value)).session_uri == URI + "-new"


def test_config_json_naming_a_table_chooses_dynamodb(sandbox: Sandbox, tmp_path: Path) -> None:
    from handoff.session_stores import open_store

    config_path = tmp_path / "config.json"
    table = make_table("stack-sessions")
    assert isinstance(open_store(table=table, region="us-east-1", config_path=config_path), DynamoDbSessionStore)
    mine = tmp_path / "mine.sqlite3"
    assert isinstance(
        open_store(table=table, region="us-east-1", config_path=config_path, path=mine), SqliteSessionStore
    )
    assert isinstance(open_store(table=None, region="us-east-1", config_path=config_path), SqliteSessionStore)
    with pytest.raises(SessionStoreError, match="does not exist"):
        open_store(table="gone", region="us-east-1", config_path=config_path)
