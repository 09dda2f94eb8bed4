"""What AWS holds, as data: a resource as read (`Live`), a stack's live state (`LiveState`, with the owned
resources the spec no longer declares: `Orphan`), and how ownership and the last apply are recorded on a
resource (its tags). No I/O and no AWS SDK: the kinds build these, planning and rendering read them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

OWNER_TAG = "reconcile:stack"
REGION_TAG = "reconcile:region"
"""On resources of global services (IAM roles): the region of the stack that owns them."""
APPLIED_TAG = "reconcile:applied"
"""Fingerprint of the document as the last apply left it: `plan --refresh-only` compares it (drift)."""


def document_fingerprint(document: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Live:
    """A resource as read from AWS, normalized to the spec's shape."""

    name: str
    owned: bool
    document: dict[str, Any]
    outputs: dict[str, Any]
    status: str | None = None
    notes: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    """The resource's tags as read (ownership, region, the applied fingerprint)."""
    unmanaged: dict[str, Any] = field(default_factory=dict)
    """Settings the stack does not manage, as AWS returned them. Updates replace the whole document on
    AWS (an omitted optional field is reset), so an update sends these back unchanged."""


@dataclass(frozen=True)
class Orphan:
    """An owned resource found in AWS that the spec no longer declares."""

    kind: str
    live: Live


@dataclass
class LiveState:
    resources: dict[str, Live | None] = field(default_factory=dict)
    """Address -> the declared resource as read, or None where it does not exist."""
    orphans: list[Orphan] = field(default_factory=list)
