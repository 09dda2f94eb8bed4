"""Session-store helpers for tests: record a session the way mcp-server does, and read back what the
callback would do with a consent link (the AgentCore URL it sends that link's browser to)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from handoff.callers import IdentifierKind
from handoff.links import LINK_PARAM, consent_link, digest, new_link_value
from handoff.sessions import OAuthSession, SessionStore, SessionUnavailable
from handoff.sqlite_sessions import SqliteSessionStore

NOWHERE = "https://agentcore.invalid/identities/oauth2/authorize"


def record(
    store: SessionStore,
    uri: str,
    identifier: str,
    *,
    name: str = "alice",
    kind: IdentifierKind = "userToken",
    authorization_url: str = NOWHERE,
) -> str:
    """Record a session as mcp-server does; returns its one-time link value."""
    value = new_link_value()
    store.record(
        session_uri=uri,
        identifier_kind=kind,
        identifier=identifier,
        display_name=name,
        authorization_url=authorization_url,
        link_hash=digest(value),
    )
    return value


def link_for(callback: str, value: str) -> str:
    """The consent link mcp-server hands out for `value`, on the callback app at base URL `callback`."""
    return consent_link(f"{callback}/oauth/callback", value)


def stored_session(store: SessionStore, link: str) -> OAuthSession:
    """The session a consent link (as the server hands it out) stands for."""
    (value,) = parse_qs(urlparse(link).query)[LINK_PARAM]
    return store.get_by_link(digest(value))


def server_store(workdir: Path) -> SqliteSessionStore:
    """The store mcp-server uses by default beside config.json in `workdir`."""
    return SqliteSessionStore(workdir / "oauth-sessions.sqlite3")


def consume_in_child(kind: str, where: str, uri: str, results: multiprocessing.Queue[str]) -> None:
    """A spawned process's consume() on the SQLite store at `where` or the DynamoDB table `where`: here, not in
    a test module, so the child imports this module's few imports instead of a test module's MCP, browser and
    sandbox stack (4 children took 70 s under load)."""
    from handoff.dynamodb_sessions import DynamoDbSessionStore

    store: SessionStore = (
        SqliteSessionStore(Path(where)) if kind == "sqlite" else DynamoDbSessionStore(where, region="us-east-1")
    )
    try:
        store.consume(uri)
        results.put("ok")
    except SessionUnavailable as exc:
        results.put(exc.reason)
