"""Which OAuth session store a program opens: `open_store`, called by `mcp-server` (server/serving.py) and
`oauth-callback` (callback/__main__.py) with what config.json and their options say. It is the only
module that knows both stores; the DynamoDB one (and with it boto3) is imported only when a table is
configured."""

from __future__ import annotations

from pathlib import Path

from handoff.sessions import SessionStore
from handoff.sqlite_sessions import SqliteSessionStore


def default_store_path(config_path: Path) -> Path:
    """Next to config.json, so the server and the callback find the same file by default."""
    return config_path.resolve().parent / "oauth-sessions.sqlite3"


def open_store(*, table: str | None, region: str, config_path: Path, path: Path | None = None) -> SessionStore:
    """The store both programs share: the SQLite file `path` when given (--session-store), else the stack's
    DynamoDB `table` when config.json names one (the server on AgentCore Runtime, the callback elsewhere),
    else the SQLite file beside config.json. Raises SessionStoreError."""
    if path is None and table is not None:
        from handoff.dynamodb_sessions import DynamoDbSessionStore

        return DynamoDbSessionStore(table, region=region)
    return SqliteSessionStore(path or default_store_path(config_path))
