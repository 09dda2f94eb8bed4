"""A kind added in a hurry, for tests/kinds/test_contract.py to show that its checks catch each gap (a module of
its own: the status check reads the kind's module)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from reconciler.kinds.base import Context, Kind, ResourceSpec
from reconciler.live import Live


class IncompleteSpec(ResourceSpec):
    kind: Literal["other"]


class Incomplete(Kind):
    """Wrong literal, a force_new path desired() lacks, a pattern that does not compile,
    a hand-off key config.json does not have, a status botocore does not know, and one it uses undeclared."""

    kind = "incomplete"
    spec_model = IncompleteSpec
    attributes = frozenset({"id"})
    force_new = frozenset({("missing",)})
    name_pattern = "[a-z"
    name_hint = "-"
    statuses: ClassVar[Mapping[tuple[str, str], frozenset[str]]] = {("dynamodb", "TableStatus"): frozenset({"GONE"})}

    def desired(self, name: str, spec: dict[str, Any], *, stack: str, current: Live | None = None) -> dict[str, Any]:
        return {"value": 1}

    def hand_off(self, address: str, live: Live) -> dict[str, Any]:
        return {"incomplete": address}

    def read(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live | None:
        return None if ctx.stack != "x" else None

    def create(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live:
        raise NotImplementedError

    def update(self, ctx: Context, live: Live, spec: dict[str, Any]) -> Live:
        raise NotImplementedError

    def delete(self, ctx: Context, live: Live) -> None:
        if live.status == "DELETING":
            return
