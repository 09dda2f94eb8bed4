"""Make moto's AgentCore gateways as strict as AWS where our code depends on it (AWS_FACTS):
name patterns and uniqueness, no target while the gateway is not READY, no gateway delete while it
has targets, and updates that settle (moto leaves them UPDATING forever).

Applied once per process by `install()`; it patches moto's classes, so it affects only processes
that run a sandbox.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from moto.bedrockagentcorecontrol import models
from moto.bedrockagentcorecontrol.exceptions import BedrockAgentCoreControlClientError, ConflictException
from moto.moto_api import state_manager

GATEWAY_NAME = re.compile(r"(?:[0-9a-zA-Z]-?){1,48}")
TARGET_NAME = re.compile(r"(?:[0-9a-zA-Z]-?){1,100}")
_installed = threading.Lock()
_done = False
gateway_url_base: dict[str, str] = {"value": ""}


class ValidationException(BedrockAgentCoreControlClientError):
    code = "ValidationException"


def settle_after_one_read() -> None:
    """A new or updated gateway/target is CREATING/UPDATING until it has been read once, as on AWS
    where it takes a while: code that does not wait for READY fails here too."""
    for model in ("bedrock-agentcore-control::gateway", "bedrock-agentcore-control::gateway_target"):
        state_manager.set_transition(model, {"progression": "manual", "times": 1})


def install() -> None:
    global _done
    with _installed:
        settle_after_one_read()
        if _done:
            return
        _patch_settling(models.Gateway)
        _patch_settling(models.GatewayTarget)
        _patch_backend(models.BedrockAgentCoreControlBackend)
        _done = True


def _patch_settling(cls: Any) -> None:
    original = cls.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self._transitions = [("CREATING", "READY"), ("UPDATING", "READY")]
        if cls is models.Gateway and gateway_url_base["value"]:
            self.gateway_url = f"{gateway_url_base['value']}/gateway-mcp/{self.region_name}/{self.gateway_id}/mcp"

    cls.__init__ = __init__


def _patch_backend(cls: Any) -> None:
    create_gateway, create_target = cls.create_gateway, cls.create_gateway_target
    delete_gateway, update_gateway = cls.delete_gateway, cls.update_gateway

    def strict_create_gateway(self: Any, name: str, **kwargs: Any) -> Any:
        if not GATEWAY_NAME.fullmatch(name or ""):
            raise ValidationException(
                f"Value '{name}' at 'name' failed to satisfy constraint: ([0-9a-zA-Z][-]?){{1,48}}"
            )
        if any(g.name == name for g in self.gateways.values()):
            raise ConflictException(f"A gateway named {name} already exists")
        return create_gateway(self, name=name, **kwargs)

    def strict_update_gateway(self: Any, gateway_identifier: str, **kwargs: Any) -> Any:
        gateway = self._get_gateway(gateway_identifier)
        versions = ((gateway.protocol_configuration or {}).get("mcp") or {}).get("supportedVersions") or []
        wanted = ((kwargs.get("protocol_configuration") or {}).get("mcp") or {}).get("supportedVersions") or []
        if set(wanted) - set(versions):
            raise ValidationException(
                "supportedVersions cannot be added by update (aws/aws-cli#10346); recreate the gateway"
            )
        return update_gateway(self, gateway_identifier=gateway_identifier, **kwargs)

    def strict_create_target(self: Any, gateway_identifier: str, name: str, **kwargs: Any) -> Any:
        gateway = self._get_gateway(gateway_identifier)
        if gateway.status != "READY":
            raise ValidationException(
                f"Gateway {gateway.gateway_id} is {gateway.status}; targets can be added only when it is READY"
            )
        if not TARGET_NAME.fullmatch(name or ""):
            raise ValidationException(
                f"Value '{name}' at 'name' failed to satisfy constraint: ([0-9a-zA-Z][-]?){{1,100}}"
            )
        if any(t.name == name for (gid, _), t in self.gateway_targets.items() if gid == gateway.gateway_id):
            raise ConflictException(f"A target named {name} already exists in gateway {gateway.gateway_id}")
        return create_target(self, gateway_identifier=gateway_identifier, name=name, **kwargs)

    def strict_delete_gateway(self: Any, gateway_identifier: str) -> Any:
        gateway = self._get_gateway(gateway_identifier)
        if any(gid == gateway.gateway_id for gid, _ in self.gateway_targets):
            raise ConflictException(f"Gateway {gateway.gateway_id} has targets; delete them before the gateway")
        return delete_gateway(self, gateway_identifier)

    cls.create_gateway = strict_create_gateway
    cls.update_gateway = strict_update_gateway
    cls.create_gateway_target = strict_create_target
    cls.delete_gateway = strict_delete_gateway
