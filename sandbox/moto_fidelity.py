"""Make moto's AgentCore gateways and targets as strict as AWS where our code depends on it.

`install()` applies, once per process, the rules kept in:

    gateway_rules     refusals: names, READY before targets, no delete with targets, the
                      supportedVersions ratchet, CUSTOM_JWT needs its configuration, immutable
                      authorizer type
    whole_updates     UpdateGateway / UpdateGatewayTarget reset what the request leaves out
    gateway_identity  AWS-format gateway ids, each gateway's own workload identity
    consistency       the switchable eventual-consistency mode
    dynamodb_rules    the TTL hour rule and eventually consistent table tags
    iam_simulation    iam:SimulatePrincipalPolicy (moto has none) and the fixed credentials as the root user

and, here, updates that settle (moto leaves them UPDATING forever), optional parameters moto treats
as required, and gateway renames refused. It patches moto's classes, so it affects only processes
that run a sandbox.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.bedrockagentcorecontrol import models, responses
from moto.dynamodb.models import DynamoDBBackend
from moto.moto_api import state_manager

from sandbox import consistency, dynamodb_rules, gateway_identity, gateway_rules, iam_simulation, whole_updates
from sandbox.gateway_rules import ValidationException

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
        _refuse_renames(backend)
        _optional_parameters(responses.BedrockAgentCoreControlResponse)
        dynamodb_rules.patch(DynamoDBBackend)
        iam_simulation.install()
        _done = True


def _patch_init(cls: Any) -> None:
    original = cls.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self._transitions = [("CREATING", "READY"), ("UPDATING", "READY")]
        if cls is models.Gateway:
            gateway_identity.give_aws_id(self, gateway_url_base["value"])

    cls.__init__ = __init__


def _refuse_renames(cls: Any) -> None:
    """UpdateGateway API doc (botocore): `name` "must be the same as the one when the gateway was created".
    moto renames; AWS refuses (error type UNCONFIRMED: ValidationException, as for its other refusals)."""
    update_gateway = cls.update_gateway

    def no_rename(self: Any, gateway_identifier: str, **kwargs: Any) -> Any:
        gateway = self._get_gateway(gateway_identifier)
        if kwargs["name"] != gateway.name:
            raise ValidationException(
                f"name {kwargs['name']!r} must be the same as the one when the gateway was created ({gateway.name!r})"
            )
        return update_gateway(self, gateway_identifier=gateway_identifier, **kwargs)

    cls.update_gateway = no_rename


OPTIONAL_DEFAULTS: dict[str, dict[str, Any]] = {
    "create_gateway": {"protocolType": "MCP"},
    "update_gateway": {"protocolType": "MCP"},
    "update_gateway_target": {"name": None},
}
"""Members botocore's model leaves optional that moto's handlers index as required (a KeyError there was an
InternalFailure). protocolType's only enum value is MCP, its default (UNCONFIRMED that AWS fills it); an
UpdateGatewayTarget without a name keeps the target's (sandbox.whole_updates)."""


def _optional_parameters(cls: Any) -> None:
    for action, defaults in OPTIONAL_DEFAULTS.items():
        setattr(cls, action, _with_defaults(getattr(cls, action), defaults))
    create_target = cls.create_gateway_target

    def named_target(self: Any) -> Any:
        # CreateGatewayTarget's `name` is optional in botocore's model; what AWS does without one is
        # UNCONFIRMED: the stricter reading refuses it (with AWS's shape, not moto's KeyError).
        if not self._get_params().get("name"):
            raise ValidationException("name is required to create a gateway target")
        return create_target(self)

    cls.create_gateway_target = named_target


def _with_defaults(handler: Any, defaults: dict[str, Any]) -> Any:
    def filled(self: Any) -> Any:
        params = {**defaults, **self._get_params()}
        self._get_params = lambda: params  # this request's handler instance only
        return handler(self)

    return filled
