"""Build config.json (`handoff.config.HandOff`) from what apply left: each kind contributes its
part (`Kind.hand_off`); list fields collect every part, map fields merge, single values keep the
first."""

from __future__ import annotations

import typing
from typing import Any

from handoff.config import HandOff
from reconciler.kinds import KINDS
from reconciler.kinds.base import Live
from reconciler.plan import Action, Plan


def build_hand_off(plan: Plan, lives: dict[str, Live], *, region: str) -> HandOff:
    merged: dict[str, Any] = {"stack": plan.stack, "region": region}
    for change in plan.changes:
        live = lives.get(change.address)
        if live is None or change.action is Action.DELETE:
            continue
        for key, value in KINDS[change.kind].hand_off(change.address, live).items():
            _merge(merged, key, value)
    return HandOff.model_validate(merged)


def _merge(merged: dict[str, Any], key: str, value: Any) -> None:
    shape = typing.get_origin(HandOff.model_fields[key].annotation)
    if shape is list:
        merged.setdefault(key, []).extend(value)
    elif shape is dict:
        merged.setdefault(key, {}).update(value)
    else:
        merged.setdefault(key, value)
