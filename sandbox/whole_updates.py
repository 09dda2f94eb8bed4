"""UpdateGateway / UpdateGatewayTarget replace the whole document: an optional field left out of
the request is reset, not kept (moto keeps it).

- UpdateGateway API doc (botocore bedrock-agentcore-control): "Replaces the entire gateway
  configuration. Any optional field that you omit, including fields in protocolConfiguration, is
  reset."
- UpdateGatewayTarget: its doc says nothing either way; UNCONFIRMED, the sandbox takes the stricter
  reading (same as UpdateGateway). `name` is optional in the request and is the target's identity,
  so an omitted name keeps the old one.
"""

from __future__ import annotations

from typing import Any

from moto.core.utils import utcnow


def update_gateway(
    self: Any,
    name: str,
    role_arn: str,
    protocol_type: str,
    authorizer_type: str,
    description: str | None,
    protocol_configuration: dict[str, Any] | None,
    authorizer_configuration: dict[str, Any] | None,
    kms_key_arn: str | None,
    interceptor_configurations: list[dict[str, Any]] | None,
    policy_engine_configuration: dict[str, Any] | None,
    exception_level: str | None,
) -> None:
    self.name, self.role_arn = name, role_arn
    self.protocol_type, self.authorizer_type = protocol_type, authorizer_type
    self.description = description or ""
    self.protocol_configuration = protocol_configuration
    self.authorizer_configuration = authorizer_configuration
    self.kms_key_arn = kms_key_arn
    self.interceptor_configurations = interceptor_configurations
    self.policy_engine_configuration = policy_engine_configuration
    self.exception_level = exception_level
    self.updated_at = utcnow()
    self.status = "UPDATING"


def update_gateway_target(
    self: Any,
    name: str | None,
    target_configuration: dict[str, Any],
    description: str | None,
    credential_provider_configurations: list[dict[str, Any]] | None,
    metadata_configuration: dict[str, Any] | None,
) -> None:
    self.name = name or self.name
    self.target_configuration = target_configuration
    self.description = description or ""
    self.credential_provider_configurations = credential_provider_configurations or []
    self.metadata_configuration = metadata_configuration
    self.updated_at = utcnow()
    self.status = "UPDATING"


def patch(gateway_cls: Any, target_cls: Any) -> None:
    gateway_cls.update = update_gateway
    target_cls.update = update_gateway_target
