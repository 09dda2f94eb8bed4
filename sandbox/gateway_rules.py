"""Refusals AWS makes on gateway and target calls that moto accepts (AWS_FACTS.md):

- names: gateway `([0-9a-zA-Z][-]?){1,48}`, target `([0-9a-zA-Z][-]?){1,100}`, unique per
  account/region and per gateway (CreateGateway / CreateGatewayTarget API docs);
- a target can be added only to a READY gateway (awslabs/agentcore-samples#1145);
- a gateway with targets cannot be deleted (exact error UNCONFIRMED; ConflictException);
- `supportedVersions` can be removed but not added back by update (aws/aws-cli#10346);
- CUSTOM_JWT needs an authorizerConfiguration (CreateGateway API doc: "If you specify CUSTOM_JWT as
  the authorizerType, you must provide an authorizerConfiguration"; for UpdateGateway, which
  resets an omitted one, UNCONFIRMED: the same check);
- the authorizer type is immutable: "Authorizer type cannot be updated for an existing gateway",
  HTTP 400 (aws-cloudformation/cloudformation-coverage-roadmap#2578; a real deployment's log in
  Boise-State-Development/agentcore-public-stack#779); hashicorp/terraform-provider-aws marks
  `authorizer_type` RequiresReplace (internal/service/bedrockagentcore/gateway.go). The error type
  is UNCONFIRMED: ValidationException.
"""

from __future__ import annotations

import re
from typing import Any

from moto.bedrockagentcorecontrol.exceptions import BedrockAgentCoreControlClientError, ConflictException

GATEWAY_NAME = re.compile(r"(?:[0-9a-zA-Z]-?){1,48}")
TARGET_NAME = re.compile(r"(?:[0-9a-zA-Z]-?){1,100}")
AUTHORIZER_IMMUTABLE = "Authorizer type cannot be updated for an existing gateway"


class ValidationException(BedrockAgentCoreControlClientError):
    code = "ValidationException"


def _versions(protocol_configuration: dict[str, Any] | None) -> list[str]:
    return list(((protocol_configuration or {}).get("mcp") or {}).get("supportedVersions") or [])


def _check_authorizer(authorizer_type: str, authorizer_configuration: dict[str, Any] | None) -> None:
    if authorizer_type == "CUSTOM_JWT" and not (authorizer_configuration or {}).get("customJWTAuthorizer"):
        raise ValidationException(
            "authorizerConfiguration.customJWTAuthorizer is required when authorizerType is CUSTOM_JWT"
        )


def patch(cls: Any) -> None:
    """Wrap the backend's create/update/delete with the checks above (outermost wrapper: a refused
    request changes nothing)."""
    create_gateway, create_target = cls.create_gateway, cls.create_gateway_target
    delete_gateway, update_gateway = cls.delete_gateway, cls.update_gateway

    def strict_create_gateway(self: Any, name: str, **kwargs: Any) -> Any:
        if not GATEWAY_NAME.fullmatch(name or ""):
            raise ValidationException(
                f"Value '{name}' at 'name' failed to satisfy constraint: ([0-9a-zA-Z][-]?){{1,48}}"
            )
        if any(g.name == name for g in self.gateways.values()):
            raise ConflictException(f"A gateway named {name} already exists")
        _check_authorizer(kwargs["authorizer_type"], kwargs.get("authorizer_configuration"))
        return create_gateway(self, name=name, **kwargs)

    def strict_update_gateway(self: Any, gateway_identifier: str, **kwargs: Any) -> Any:
        gateway = self._get_gateway(gateway_identifier)
        if kwargs["authorizer_type"] != gateway.authorizer_type:
            raise ValidationException(AUTHORIZER_IMMUTABLE)
        _check_authorizer(kwargs["authorizer_type"], kwargs.get("authorizer_configuration"))
        if set(_versions(kwargs.get("protocol_configuration"))) - set(_versions(gateway.protocol_configuration)):
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
