"""The OAuth session store on DynamoDB, for an mcp-server and an oauth-callback that do not share a
host (the server on AgentCore Runtime). Same interface (handoff/sessions.py) and semantics as the SQLite
store (handoff/sqlite_sessions.py): every change is one conditional write, so a session is bound to one
browser, consumed at most once and released only while still consumed, whatever the number of processes.

One table (the stack's `session_table` resource) holds two kinds of item under its partition key
`session_uri`: a session (key = its session URI, `urn:ietf:params:oauth:request_uri:...`) and a link
(key = `link:` + the consent link's hash, pointing at its session). Reads are strongly consistent
(GetItem ConsistentRead), so a link opened a moment after it was recorded is found.

The initiator's token at rest: blanked by `consume` and `burn`, by any read that finds the session
expired, and at its expiry by the process that recorded it (a conditional UpdateItem: handoff/expiry.py).
Expired items are deleted by DynamoDB's TTL on `expires_at` (epoch seconds), which AWS runs lazily
(typically within a few days: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html),
so every read checks the expiry itself; a session whose recording process exits before it expires, and that
nobody reads again, keeps its (expired) token until TTL removes the item. boto3 is imported only when a
table is configured.
"""

from __future__ import annotations

import math
import time
from typing import Any

from handoff.callers import IdentifierKind
from handoff.expiry import blank_at
from handoff.sessions import (
    SESSION_TTL_SECONDS,
    OAuthSession,
    SessionStoreError,
    SessionUnavailable,
    usable,
    why_unusable,
)

KEY = "session_uri"
"""The table's partition key (string), as the stack's session_table resource creates it."""
TTL_ATTRIBUTE = "expires_at"
LINK_PREFIX = "link:"
CONDITION_FAILED = "ConditionalCheckFailedException"
USABLE = f"attribute_exists({KEY}) AND attribute_not_exists(used_at) AND expires_at > :now"


class DynamoDbSessionStore:
    def __init__(self, table: str, *, region: str, ttl: float = SESSION_TTL_SECONDS, client: Any = None):
        """`client`: a boto3 `dynamodb` client (made here when None). Raises SessionStoreError when the table
        does not exist or has another key."""
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
        from botocore.exceptions import BotoCoreError, ClientError

        if client is None:
            import boto3

            client = boto3.client("dynamodb", region_name=region)
        self.client, self.table, self.ttl = client, table, ttl
        self._serializer, self._deserializer = TypeSerializer(), TypeDeserializer()
        self._client_error = ClientError
        try:
            schema = client.describe_table(TableName=table)["Table"]["KeySchema"]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ResourceNotFoundException":
                raise SessionStoreError(
                    f"the OAuth session table {table} does not exist: run `reconcile apply` (it creates it)"
                ) from None
            raise SessionStoreError(f"the OAuth session table {table} cannot be read: {code}") from None
        except BotoCoreError as exc:
            raise SessionStoreError(f"the OAuth session table {table} cannot be reached: {exc}") from None
        if schema != [{"AttributeName": KEY, "KeyType": "HASH"}]:
            raise SessionStoreError(
                f"the OAuth session table {table} is not keyed by {KEY} alone; it was not made for sessions"
            )

    def record(
        self,
        *,
        session_uri: str,
        identifier_kind: IdentifierKind,
        identifier: str,
        display_name: str,
        authorization_url: str,
        link_hash: str,
    ) -> OAuthSession:
        now = time.time()
        expires = math.ceil(now + self.ttl)
        fields = {
            ":kind": identifier_kind,
            ":identifier": identifier,
            ":name": display_name,
            ":created": _number(now),
            ":expires": expires,
            ":url": authorization_url,
            ":link": link_hash,
        }
        link = {KEY: LINK_PREFIX + link_hash, "session": session_uri, TTL_ATTRIBUTE: expires}
        # A session URI recorded again (AgentCore resuming a pending session) keeps its times and its browser,
        # and an ended one (used, cancelled) stays ended: nothing revives a cancelled session.
        session_update = {
            "TableName": self.table,
            "Key": self._item({KEY: session_uri}),
            "UpdateExpression": "SET identifier_kind = :kind, identifier = :identifier, display_name = :name, "
            "authorization_url = :url, link_hash = :link, created_at = if_not_exists(created_at, :created), "
            f"{TTL_ATTRIBUTE} = if_not_exists({TTL_ATTRIBUTE}, :expires)",
            "ConditionExpression": "attribute_not_exists(used_at)",
            "ExpressionAttributeValues": self._item(fields),
        }
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {"Update": session_update},
                    {"Put": {"TableName": self.table, "Item": self._item(link)}},
                ]
            )
        except self._client_error as exc:
            if exc.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                raise SessionUnavailable("used") from None
            raise
        found = self._read(session_uri)
        if found is None:
            raise SessionUnavailable("unknown")
        blank_at(found.expires_at, self.blank_expired, session_uri)
        return found

    def blank_expired(self, session_uri: str) -> None:
        """Forget the session's initiator if it has expired and still holds it: one conditional UpdateItem."""
        self._update(
            session_uri,
            "SET identifier = :blank, authorization_url = :blank",
            f"attribute_exists({KEY}) AND {TTL_ATTRIBUTE} <= :now AND "
            "(identifier <> :blank OR authorization_url <> :blank)",
            {":blank": ""},
        )

    def get(self, session_uri: str) -> OAuthSession:
        return usable(self._read(session_uri))

    def get_by_link(self, link_hash: str) -> OAuthSession:
        link = self._get(LINK_PREFIX + link_hash)
        if link is None or not isinstance(link.get("session"), str):
            raise SessionUnavailable("unknown")
        session = self.get(str(link["session"]))
        if session.link_hash != link_hash:  # the session was recorded again, with a newer link
            raise SessionUnavailable("unknown")
        return session

    def bind_browser(self, session_uri: str, browser_hash: str) -> OAuthSession:
        bound = self._update(
            session_uri,
            "SET browser_hash = :browser",
            f"{USABLE} AND (attribute_not_exists(browser_hash) OR browser_hash = :browser)",
            {":browser": browser_hash},
        )
        if bound is None:
            raise SessionUnavailable(why_unusable(self._read(session_uri)) or "elsewhere")
        return usable(self._read(session_uri))

    def consume(self, session_uri: str) -> OAuthSession:
        old = self._update(
            session_uri,
            "SET used_at = :now, identifier = :blank, authorization_url = :blank",
            USABLE,
            {":blank": ""},
            returns="ALL_OLD",
        )
        if old is None:
            raise SessionUnavailable(why_unusable(self._read(session_uri)) or "used")
        return self._session(old)

    def release(self, session: OAuthSession) -> None:
        self._update(
            session.session_uri,
            "SET identifier = :identifier REMOVE used_at",
            f"attribute_exists(used_at) AND attribute_not_exists(burned) AND {TTL_ATTRIBUTE} > :now",
            {":identifier": session.identifier},
        )

    def burn(self, session_uri: str) -> None:
        # No existence condition: an unknown session URI is stored as cancelled (UpdateItem creates the item), so
        # that recording it later cannot start it afresh.
        self._update(
            session_uri,
            "SET used_at = if_not_exists(used_at, :now), identifier = :blank, authorization_url = :blank, "
            "burned = :yes, identifier_kind = if_not_exists(identifier_kind, :kind), "
            "display_name = if_not_exists(display_name, :blank), created_at = if_not_exists(created_at, :now), "
            f"{TTL_ATTRIBUTE} = if_not_exists({TTL_ATTRIBUTE}, :expires)",
            None,
            {":blank": "", ":yes": True, ":kind": "userId", ":expires": math.ceil(time.time() + self.ttl)},
        )

    def _read(self, session_uri: str) -> OAuthSession | None:
        """The session, its token blanked first when it has expired."""
        item = self._get(session_uri)
        if item is None or str(item[KEY]).startswith(LINK_PREFIX):
            return None
        session = self._session(item)
        if session.expired and session.identifier:
            blank = "SET identifier = :blank, authorization_url = :blank"
            self._update(session_uri, blank, f"attribute_exists({KEY})", {":blank": ""})
        return session

    def _get(self, key: str) -> dict[str, Any] | None:
        if not _storable(key):
            return None
        response = self.client.get_item(TableName=self.table, Key=self._item({KEY: key}), ConsistentRead=True)
        return self._plain(response["Item"]) if "Item" in response else None

    def _update(
        self, key: str, expression: str, condition: str | None, values: dict[str, Any], *, returns: str = "NONE"
    ) -> dict[str, Any] | None:
        """One conditional UpdateItem; None when the condition does not hold, else the old item's attributes
        (with `returns="ALL_OLD"`; otherwise an empty dict)."""
        if not _storable(key):
            return None
        # DynamoDB refuses expression values that the expressions do not use (ValidationException)
        now = {":now": _number(time.time())} if ":now" in expression + (condition or "") else {}
        conditional = {"ConditionExpression": condition} if condition else {}
        try:
            response = self.client.update_item(
                TableName=self.table,
                Key=self._item({KEY: key}),
                UpdateExpression=expression,
                ExpressionAttributeValues=self._item({**now, **values}),
                ReturnValues=returns,
                **conditional,
            )
        except self._client_error as exc:
            if exc.response.get("Error", {}).get("Code") == CONDITION_FAILED:
                return None
            raise
        return self._plain(response.get("Attributes", {}))

    def _item(self, values: dict[str, Any]) -> dict[str, Any]:
        return {name: self._serializer.serialize(value) for name, value in values.items()}

    def _plain(self, item: dict[str, Any]) -> dict[str, Any]:
        return {name: self._deserializer.deserialize(value) for name, value in item.items()}

    def _session(self, item: dict[str, Any]) -> OAuthSession:
        used = item.get("used_at")
        return OAuthSession(
            str(item[KEY]),
            item["identifier_kind"],
            str(item.get("identifier", "")),
            str(item.get("display_name", "")),
            float(item["created_at"]),
            float(item[TTL_ATTRIBUTE]),
            None if used is None else float(used),
            authorization_url=str(item.get("authorization_url", "")),
            link_hash=item.get("link_hash"),
            browser_hash=item.get("browser_hash"),
        )


def _storable(key: str) -> bool:
    """DynamoDB refuses empty keys, keys over 2048 bytes and text that is not UTF-8: no such item exists."""
    try:
        return 0 < len(key.encode("utf-8")) <= 2048
    except UnicodeEncodeError:
        return False


def _number(value: float) -> Any:
    """A float as DynamoDB's number (boto3's serializer takes Decimal, not float)."""
    from decimal import Decimal

    return Decimal(repr(value))
