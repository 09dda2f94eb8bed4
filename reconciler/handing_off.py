"""Build config.json (`handoff.config.HandOff`) from what apply left: each kind contributes its
part (`Kind.hand_off`), merged as `handoff.config.merge_parts` says."""

from __future__ import annotations

from handoff.config import HandOff, merge_parts
from reconciler.kinds import Kinds
from reconciler.live import Live
from reconciler.plan import Action, Plan


def build_hand_off(plan: Plan, lives: dict[str, Live], *, region: str, kinds: Kinds) -> HandOff:
    parts = (
        kinds[change.kind].hand_off(change.address, lives[change.address])
        for change in plan.changes
        if change.address in lives and change.action is not Action.DELETE
    )
    return HandOff.model_validate(merge_parts(parts, into={"stack": plan.stack, "region": region}))
