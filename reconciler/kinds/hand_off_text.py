"""The hand-off as a deployed program reads it (config.json's model, compact and sorted), for the kinds that
carry it somewhere size-limited: the runtime's environment variable, the callback's SSM parameter."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from handoff.config import FORMAT_VERSION, HandOff
from reconciler.kinds.waiting import ResourceFailed


def hand_off_text(hand_off: dict[str, Any], *, stack: str, region: str, limit: int, holder: str) -> str:
    """Checked against the model; refused beyond `limit` characters, saying what holds it (`holder`)."""
    try:
        HandOff.model_validate({**hand_off, "stack": stack, "region": region})
    except ValidationError as exc:
        raise ResourceFailed(f"hand_off does not make a valid config.json: {exc}") from exc
    document = {**hand_off, "format_version": FORMAT_VERSION, "stack": stack, "region": region}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    if len(text) > limit:
        raise ResourceFailed(
            f"hand_off makes {len(text)} characters; {holder} holds at most {limit}: list fewer resources under hand_off"
        )
    return text
