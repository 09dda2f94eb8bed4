"""The hand-off as a deployed program reads it (config.json's model, compact, sorted and packed:
handoff.config.PACKED), for the kinds that carry it somewhere size-limited: the runtime's environment variable,
the callback's SSM parameter; and back (`stored_hand_off`), for comparing the live copy with the stack."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from handoff.config import FORMAT_VERSION, ConfigError, HandOff, hand_off_document, pack
from reconciler.kinds.waiting import ResourceFailed


def hand_off_text(hand_off: dict[str, Any], *, stack: str, region: str, limit: int, holder: str) -> str:
    """Checked against the model; refused beyond `limit` characters, saying what holds it (`holder`)."""
    try:
        HandOff.model_validate({**hand_off, "stack": stack, "region": region})
    except ValidationError as exc:
        raise ResourceFailed(f"hand_off does not make a valid config.json: {exc}") from exc
    document = {**hand_off, "format_version": FORMAT_VERSION, "stack": stack, "region": region}
    text = pack(json.dumps(document, sort_keys=True, separators=(",", ":")))
    if len(text) > limit:
        raise ResourceFailed(
            f"hand_off makes {len(text)} characters packed; {holder} holds at most {limit}: "
            "list fewer resources under hand_off, or fewer operations in the target's OpenAPI document"
        )
    return text


CONTEXT = ("format_version", "stack", "region")
"""HandOff fields set from the apply's context: not part of the compared document."""


def stored_hand_off(text: str | None) -> dict[str, Any]:
    """The compared part of a live hand-off (without the CONTEXT fields apply adds): {} when there is none,
    `{"unreadable": ...}` when it is not one, so the plan shows an update that writes it again."""
    if text is None:
        return {}
    try:
        document = hand_off_document(text, "the live hand-off", "apply writes it again")
    except ConfigError:
        return {"unreadable": text[:80]}
    return {k: v for k, v in document.items() if k not in CONTEXT}
