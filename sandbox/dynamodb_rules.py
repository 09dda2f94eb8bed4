"""DynamoDB as strict as AWS where the session table depends on it (moto accepts all of this):

- UpdateTimeToLive: "It can take up to one hour for the change to fully process. Any additional
  UpdateTimeToLive calls for the same table during this one hour duration result in a
  ValidationException" (botocore dynamodb UpdateTimeToLive doc). So a second call on the same table
  within an hour is refused, whatever it asks; a table deleted and created again starts afresh. The
  message is the one AWS users report ("Time to live has been modified multiple times within a fixed
  interval"); UNCONFIRMED word for word.
- Tags are eventually consistent: "If you issue a ListTagsOfResource request immediately after a
  TagResource request, DynamoDB might return your previous tag set, if there was one, or an empty tag
  set" (botocore TagResource doc); tags given to CreateTable likewise ("ListTagsOfResource will only
  reflect the changes after a few seconds", devguide "Tagging resources"). Under
  SANDBOX_CONSISTENCY=eventual the next STALE_READS ListTagsOfResource calls after a CreateTable or
  TagResource of a table return the tag set as it was before (deterministic, as sandbox.consistency
  is; more than one read, so that an apply's own read right after its write does not use the lag up
  and leave the next plan the truth by luck).
- TagResource with a key the table already has replaces its value (AWS); moto appends a second copy.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from moto.dynamodb.exceptions import MockValidationException

from sandbox import consistency

TTL_INTERVAL_SECONDS = 3600.0
TTL_REFUSAL = "Time to live has been modified multiple times within a fixed interval"
# Kept on moto's Table objects, so a deleted table, or a reset account, forgets them with the table.
TTL_CHANGED = "_sandbox_ttl_changed"
STALE_TAGS = "_sandbox_stale_tags"
STALE_READS = 2

_lock = threading.Lock()


def patch(cls: Any) -> None:
    """Wrap moto's DynamoDBBackend (once per process)."""
    update_ttl, create_table = cls.update_time_to_live, cls.create_table
    tag_resource, list_tags = cls.tag_resource, cls.list_tags_of_resource

    def strict_update_time_to_live(self: Any, table_name: str, ttl_spec: dict[str, Any]) -> None:
        table = self.get_table(table_name)
        with _lock:
            last = getattr(table, TTL_CHANGED, None)
            if last is not None and time.monotonic() - last < TTL_INTERVAL_SECONDS:
                raise MockValidationException(TTL_REFUSAL)
            update_ttl(self, table_name, ttl_spec)
            setattr(table, TTL_CHANGED, time.monotonic())

    def eventual_create_table(self: Any, *args: Any, **kwargs: Any) -> Any:
        table = create_table(self, *args, **kwargs)
        _remember_stale(table, [])
        return table

    def replacing_tag_resource(self: Any, arn: str, tags: dict[str, str]) -> None:
        table = _table(self, arn)
        if table is not None:
            _remember_stale(table, [dict(tag) for tag in table.tags])
            table.tags = [tag for tag in table.tags if tag["Key"] not in tags]
        tag_resource(self, arn, tags)

    def eventual_list_tags(self: Any, table_arn: str) -> list[dict[str, str]]:
        current: list[dict[str, str]] = list_tags(self, table_arn)
        table = _table(self, table_arn)
        with _lock:
            stale = table.__dict__.get(STALE_TAGS) if table is not None else None
            if stale is None:
                return current
            stale[1] -= 1
            if stale[1] <= 0:
                del table.__dict__[STALE_TAGS]
        return list(stale[0])

    cls.update_time_to_live = strict_update_time_to_live
    cls.create_table = eventual_create_table
    cls.tag_resource, cls.list_tags_of_resource = replacing_tag_resource, eventual_list_tags


def _table(backend: Any, arn: str) -> Any:
    return next((t for t in backend.tables.values() if t.table_arn == arn), None)


def _remember_stale(table: Any, previous: list[dict[str, str]]) -> None:
    if consistency.current_mode() != "eventual":
        return
    with _lock:
        # Two writes before the reads catch up: the oldest set may still show, for STALE_READS reads from now.
        oldest = table.__dict__.get(STALE_TAGS, [previous])[0]
        table.__dict__[STALE_TAGS] = [oldest, STALE_READS]
