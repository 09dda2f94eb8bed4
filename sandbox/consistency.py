"""Eventual consistency of the gateway control plane, switchable (off by default).

AWS: Create/Update of gateways and targets are asynchronous and their reads eventually consistent.
Terraform's waiters for `aws_bedrockagentcore_gateway` / `_gateway_target` require READY on two
consecutive reads (`ContinuousTargetOccurence: 2`) and tolerate not-found reads right after create
(hashicorp/terraform-provider-aws, internal/service/bedrockagentcore/gateway.go, gateway_target.go).
How long AWS stays inconsistent is UNCONFIRMED; the sandbox takes the strict, deterministic reading:

- "eventual": the first GetGateway / GetGatewayTarget after a Create is ResourceNotFound, and the
  first Get after an Update still returns the document as it was before the update (READY).
  Each happens exactly once per create/update, so a test that waits correctly passes every time.
- "strong" (default): reads see every write at once, so existing tests stay deterministic.

The mode is process-wide like moto's own state: `Sandbox(consistency=...)`, or the environment
variable SANDBOX_CONSISTENCY when the Sandbox is built (`reconcile sandbox` reads it too).
"""

from __future__ import annotations

import copy
import os
import threading
from typing import Any, Literal

from moto.bedrockagentcorecontrol.exceptions import ResourceNotFoundException

Mode = Literal["strong", "eventual"]
MODES: tuple[Mode, ...] = ("strong", "eventual")
ENV = "SANDBOX_CONSISTENCY"
Key = tuple[str, ...]  # ("gateway", id) or ("target", gateway id, target id)
_NOT_FOUND = {"gateway": "Could not find Gateway with ID {0}", "target": "Could not find Target {1} for Gateway {0}"}

_lock = threading.Lock()
_mode: Mode = "strong"
_unseen: set[Key] = set()  # created, not yet visible to a Get
_stale: dict[Key, dict[str, Any]] = {}  # updated; the next Get returns this old document


class Snapshot:
    """Stands in for a moto model in a response: moto's handlers only call `to_dict()` on it."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def to_dict(self) -> dict[str, Any]:
        return self.document


def mode_from_env() -> Mode:
    value = os.environ.get(ENV, "strong").strip().lower() or "strong"
    if value not in MODES:
        raise ValueError(f"{ENV}={value!r}: expected one of {', '.join(MODES)}")
    return "eventual" if value == "eventual" else "strong"


def set_mode(mode: Mode) -> None:
    """Switch the mode and forget pending surprises (called by Sandbox() and Sandbox.reset())."""
    global _mode
    if mode not in MODES:
        raise ValueError(f"consistency {mode!r}: expected one of {', '.join(MODES)}")
    with _lock:
        _mode = mode
        _unseen.clear()
        _stale.clear()


def current_mode() -> Mode:
    return _mode


def created(key: Key) -> None:
    if _mode == "eventual":
        with _lock:
            _unseen.add(key)


def before_update(key: Key, model: Any) -> None:
    if _mode == "eventual":
        document = copy.deepcopy(model.to_dict())
        with _lock:
            _stale[key] = document


def deleted(key: Key) -> None:
    with _lock:
        _unseen.discard(key)
        _stale.pop(key, None)


def read(key: Key) -> Snapshot | None:
    """Called at the start of a Get: raises the one not-found after create, or returns the one
    stale document after update; None means "answer from the live model"."""
    with _lock:
        if key in _unseen:
            _unseen.discard(key)
            raise ResourceNotFoundException(_NOT_FOUND[key[0]].format(*key[1:]))  # moto's own words
        stale = _stale.pop(key, None)
    return Snapshot(stale) if stale is not None else None


def patch(cls: Any) -> None:
    """Wrap the backend's gateway/target create, update, get and delete."""
    create_gateway, update_gateway, get_gateway = cls.create_gateway, cls.update_gateway, cls.get_gateway
    create_target, update_target, get_target = (
        cls.create_gateway_target,
        cls.update_gateway_target,
        cls.get_gateway_target,
    )
    delete_gateway, delete_target = cls.delete_gateway, cls.delete_gateway_target

    def eventual_create_gateway(self: Any, **kwargs: Any) -> Any:
        gateway = create_gateway(self, **kwargs)
        created(("gateway", gateway.gateway_id))
        return gateway

    def eventual_update_gateway(self: Any, gateway_identifier: str, **kwargs: Any) -> Any:
        before_update(("gateway", gateway_identifier), self._get_gateway(gateway_identifier))
        return update_gateway(self, gateway_identifier=gateway_identifier, **kwargs)

    def eventual_get_gateway(self: Any, gateway_identifier: str) -> Any:
        return read(("gateway", gateway_identifier)) or get_gateway(self, gateway_identifier)

    def eventual_delete_gateway(self: Any, gateway_identifier: str) -> Any:
        gateway = delete_gateway(self, gateway_identifier)
        deleted(("gateway", gateway_identifier))
        return gateway

    def eventual_create_target(self: Any, gateway_identifier: str, **kwargs: Any) -> Any:
        target = create_target(self, gateway_identifier=gateway_identifier, **kwargs)
        created(("target", target.gateway_id, target.target_id))
        return target

    def eventual_update_target(self: Any, gateway_identifier: str, target_id: str, **kwargs: Any) -> Any:
        before_update(
            ("target", gateway_identifier, target_id), self._get_gateway_target(gateway_identifier, target_id)
        )
        return update_target(self, gateway_identifier=gateway_identifier, target_id=target_id, **kwargs)

    def eventual_get_target(self: Any, gateway_identifier: str, target_id: str) -> Any:
        return read(("target", gateway_identifier, target_id)) or get_target(self, gateway_identifier, target_id)

    def eventual_delete_target(self: Any, gateway_identifier: str, target_id: str) -> Any:
        target = delete_target(self, gateway_identifier, target_id)
        deleted(("target", gateway_identifier, target_id))
        return target

    cls.create_gateway, cls.update_gateway = eventual_create_gateway, eventual_update_gateway
    cls.get_gateway, cls.delete_gateway = eventual_get_gateway, eventual_delete_gateway
    cls.create_gateway_target, cls.update_gateway_target = eventual_create_target, eventual_update_target
    cls.get_gateway_target, cls.delete_gateway_target = eventual_get_target, eventual_delete_target
