"""The OAuth session table: a DynamoDB table shared by mcp-server on AgentCore Runtime and
oauth-callback wherever it runs (issue 14), in place of the one-host SQLite file.

On-demand billing, server-side encryption with KMS (SSESpecification Enabled, SSEType KMS: the AWS
managed key; DynamoDB always encrypts at rest, this makes the key KMS rather than AWS-owned), TTL
on the expiry attribute so expired sessions disappear without a sweeper (DynamoDB deletes them
within days: the store must still check the expiry itself), and the ownership tag. Status values
from botocore's TableStatus enum. The key schema forces a replace (DynamoDB cannot change it), and so does
the TTL attribute: DynamoDB refuses a second UpdateTimeToLive on a table within an hour (botocore
UpdateTimeToLive doc), so switching attributes (off, then on) cannot happen in one apply; the table holds
only pending consents, minutes old, so a new table loses nothing that lasts. Tags are eventually consistent
("ListTagsOfResource will only reflect the changes after a few seconds"; botocore TagResource doc): after
writing them, apply waits until they read back, so the next plan sees the table as owned.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any, Literal

from reconciler.aws import ignore_missing
from reconciler.kinds.base import Context, Kind, ResourceSpec, backoff_delays, deadline
from reconciler.kinds.waiting import ResourceFailed, wait_for_status, wait_until_gone
from reconciler.live import OWNER_TAG, Live

ACTIVE = frozenset({"ACTIVE"})
FAILED = frozenset({"INACCESSIBLE_ENCRYPTION_CREDENTIALS", "ARCHIVED", "REPLICATION_NOT_AUTHORIZED"})


class SessionTableSpec(ResourceSpec):
    kind: Literal["session_table"]
    partition_key: str = "session_uri"
    ttl_attribute: str = "expires_at"


class SessionTable(Kind):
    kind = "session_table"
    statuses = {("dynamodb", "TableStatus"): ACTIVE | FAILED}
    spec_model = SessionTableSpec
    discovery_group = "runtime"
    attributes = frozenset({"name", "arn"})
    force_new = frozenset({("partition_key",), ("ttl_attribute",)})
    name_pattern = r"[a-zA-Z0-9_.-]{3,255}"
    name_hint = "3-255 letters, digits or _.-"

    def desired(self, name: str, spec: dict[str, Any], *, stack: str, current: Live | None = None) -> dict[str, Any]:
        return {
            "partition_key": spec["partition_key"],
            "ttl_attribute": spec["ttl_attribute"],
            "billing_mode": "PAY_PER_REQUEST",
            "encryption": "KMS",
        }

    def hand_off(self, address: str, live: Live) -> dict[str, Any]:
        return {"session_table": live.name}

    def read(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live | None:
        dynamodb = ctx.clients.dynamodb
        with ignore_missing() as missing:
            table = dynamodb.describe_table(TableName=name)["Table"]
        if missing:
            return None
        ttl, tags = ctx.gather(
            lambda: dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"],
            lambda: _tags(ctx, table["TableArn"]),
        )
        return _live(table, ttl, tags, ctx.stack)

    def discover(self, ctx: Context, parents: dict[str, Live]) -> list[tuple[str, dict[str, Any]]]:
        pages = ctx.clients.dynamodb.get_paginator("list_tables").paginate()
        return [(name, {}) for page in pages for name in page["TableNames"] if name.startswith(f"{ctx.stack}-")]

    def owners(self, ctx: Context) -> list[tuple[str, str]]:
        pages = ctx.clients.dynamodb.get_paginator("list_tables").paginate()
        found = [(_owner(ctx, name), name) for page in pages for name in page["TableNames"]]
        return [(stack, name) for stack, name in found if stack]

    def create(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live:
        doc, dynamodb = self.desired(name, spec, stack=ctx.stack), ctx.clients.dynamodb
        dynamodb.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": doc["partition_key"], "AttributeType": "S"}],
            KeySchema=[{"AttributeName": doc["partition_key"], "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            SSESpecification={"Enabled": True, "SSEType": "KMS"},
            Tags=[{"Key": k, "Value": v} for k, v in ctx.owner_tags.items()],
        )
        self._wait_active(ctx, name)
        dynamodb.update_time_to_live(  # the only UpdateTimeToLive of this table's life (one an hour)
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": doc["ttl_attribute"]}
        )
        arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
        _wait_for_tags(ctx, arn, ctx.owner_tags, label=f"table {name}")
        found = self.read(ctx, name, spec)
        assert found is not None
        return found

    def update(self, ctx: Context, live: Live, spec: dict[str, Any]) -> Live:
        doc, dynamodb = self.desired(live.name, spec, stack=ctx.stack), ctx.clients.dynamodb
        if live.document["billing_mode"] != doc["billing_mode"]:
            dynamodb.update_table(TableName=live.name, BillingMode="PAY_PER_REQUEST")
            self._wait_active(ctx, live.name)
        if live.document["encryption"] != doc["encryption"]:
            dynamodb.update_table(TableName=live.name, SSESpecification={"Enabled": True, "SSEType": "KMS"})
            self._wait_active(ctx, live.name)
        # ttl_attribute is never changed here: it forces a replace (the module docstring says why).
        found = self.read(ctx, live.name, spec)
        assert found is not None
        return found

    def delete(self, ctx: Context, live: Live) -> None:
        dynamodb = ctx.clients.dynamodb
        with ignore_missing() as missing:
            dynamodb.delete_table(TableName=live.name)
        if missing:
            return
        describe = partial(_status, dynamodb, live.name)
        wait_until_gone(ctx, label=f"table {live.name}", describe=describe, failed=FAILED)

    def tag(self, ctx: Context, live: Live, tags: dict[str, str]) -> None:
        ctx.clients.dynamodb.tag_resource(
            ResourceArn=live.outputs["arn"], Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
        )
        _wait_for_tags(ctx, live.outputs["arn"], tags, label=f"table {live.name}")

    def _wait_active(self, ctx: Context, name: str) -> None:
        describe = partial(_status, ctx.clients.dynamodb, name)
        wait_for_status(ctx, label=f"table {name}", describe=describe, done=ACTIVE, failed=FAILED, after="create")


def _status(dynamodb: Any, name: str) -> dict[str, Any]:
    """DescribeTable in the shape the waiters read (`status`)."""
    return {"status": dynamodb.describe_table(TableName=name)["Table"]["TableStatus"]}


def _owner(ctx: Context, name: str) -> str | None:
    """ListTables gives names only: the ARN that ListTagsOfResource needs comes from DescribeTable.
    None also for a table deleted since it was listed."""
    with ignore_missing():
        arn = ctx.clients.dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
        return _tags(ctx, arn).get(OWNER_TAG)
    return None


def _tags(ctx: Context, arn: str) -> dict[str, str]:
    """ListTagsOfResource pages with NextToken (botocore has no paginator for it)."""
    found: dict[str, str] = {}
    token: dict[str, str] = {}
    while True:
        page = ctx.clients.dynamodb.list_tags_of_resource(ResourceArn=arn, **token)
        found.update({tag["Key"]: tag["Value"] for tag in page.get("Tags", [])})
        if not page.get("NextToken"):
            return found
        token = {"NextToken": page["NextToken"]}


def _wait_for_tags(ctx: Context, arn: str, tags: dict[str, str], *, label: str) -> None:
    """Until ListTagsOfResource shows `tags` (eventually consistent: botocore TagResource doc), with backoff;
    DynamoDB lags "a few seconds", so the bound is the engine's wait timeout."""
    next_delay, expired = backoff_delays(ctx), deadline(ctx.wait_timeout)
    while not tags.items() <= _tags(ctx, arn).items():
        if expired():
            raise ResourceFailed(f"{label}: its tags did not read back within {ctx.wait_timeout:.0f}s; re-run apply")
        time.sleep(next_delay())


def _live(table: dict[str, Any], ttl: dict[str, Any], tags: dict[str, str], stack: str) -> Live:
    key = next(k["AttributeName"] for k in table["KeySchema"] if k["KeyType"] == "HASH")
    sse = table.get("SSEDescription") or {}
    encrypted = sse.get("SSEType", "AES256") if sse.get("Status") in ("ENABLED", "UPDATING") else "AWS_OWNED"
    ttl_on = ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
    return Live(
        name=table["TableName"],
        owned=tags.get(OWNER_TAG) == stack,
        document={
            "partition_key": key,
            "ttl_attribute": ttl.get("AttributeName") if ttl_on else None,
            "billing_mode": (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED"),
            "encryption": encrypted,
        },
        outputs={"name": table["TableName"], "arn": table["TableArn"]},
        status=table["TableStatus"],
        tags=tags,
    )
