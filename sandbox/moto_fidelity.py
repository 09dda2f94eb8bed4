"""Make moto's AgentCore gateways and targets as strict as AWS where our code depends on it.

`install()` applies, once per process, the rules kept in:

    gateway_rules     refusals: names, READY before targets, no delete with targets, the
                      supportedVersions ratchet, CUSTOM_JWT needs its configuration, immutable
                      authorizer type
    whole_updates     UpdateGateway / UpdateGatewayTarget reset what the request leaves out
    gateway_identity  AWS-format gateway ids, each gateway's own workload identity
    consistency       the switchable eventual-consistency mode

and, here, updates that settle (moto leaves them UPDATING forever). It patches moto's classes, so
it affects only processes that run a sandbox.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.bedrockagentcorecontrol import models
from moto.moto_api import state_manager

from sandbox import consistency, gateway_identity, gateway_rules, whole_updates

_installed = threading.Lock()
_done = False
gateway_url_base: dict[str, str] = {"value": ""}


def settle_after_one_read() -> None:
    """A new or updated gateway/target is CREATING/UPDATING until it has been read once, as on AWS
    where it takes a while: code that does not wait for READY fails here too."""
    for model in ("bedrock-agentcore-control::gateway", "bedrock-agentcore-control::gateway_target"):
        state_manager.set_transition(model, {"progression": "manual", "times": 1})


def install(mode: consistency.Mode = "strong") -> None:
    global _done
    with _installed:
        settle_after_one_read()
        consistency.set_mode(mode)
        if _done:
            return
        _patch_init(models.Gateway)
        _patch_init(models.GatewayTarget)
        whole_updates.patch(models.Gateway, models.GatewayTarget)
        backend = models.BedrockAgentCoreControlBackend
        gateway_identity.patch(backend)  # innermost: runs right around moto's own create/delete
        consistency.patch(backend)
        gateway_rules.patch(backend)  # outermost: a refused request changes nothing
        _done = True


def _patch_init(cls: Any) -> None:
    original = cls.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self._transitions = [("CREATING", "READY"), ("UPDATING", "READY")]
        if cls is models.Gateway:
            gateway_identity.give_aws_id(self, gateway_url_base["value"])

    cls.__init__ = __init__
