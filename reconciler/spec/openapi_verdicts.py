"""openapi-spec-validator's verdict on a document, remembered: a document it accepted once (the same content,
the same validator version) is not validated by it again, in this process or a later one. Importing the
validator costs more than everything else `reconcile validate` does (it loads jsonschema, requests and
pydantic-settings), so a stack whose OpenAPI file did not change does not pay it on every run.

Only acceptances are kept (a rejected document is validated, and its problems reported, every time), as
empty files named by the key under `$XDG_CACHE_HOME/agentcore-stack/openapi` (default ~/.cache); a cache
that cannot be written is only slower. Our own gateway rules (reconciler.spec.openapi_check) always run.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

FORMAT = "1"
"""Bump when what is asked of the validator changes (another validator class, other options)."""
_accepted: set[Path] = set()


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "agentcore-stack" / "openapi"


def _marker(document: dict[str, Any]) -> Path:
    try:
        validator = version("openapi-spec-validator")
    except PackageNotFoundError:
        validator = "unknown"
    content = json.dumps(document, sort_keys=True, default=str)
    key = hashlib.sha256(f"{FORMAT}\0{validator}\0{content}".encode()).hexdigest()
    return cache_dir() / key


def accepted_before(document: dict[str, Any]) -> bool:
    marker = _marker(document)
    return marker in _accepted or marker.exists()


def remember_accepted(document: dict[str, Any]) -> None:
    marker = _marker(document)
    _accepted.add(marker)
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass  # a read-only home: validated again next time
