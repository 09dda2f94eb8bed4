"""Gateway ids in AWS's form, and each gateway's own workload identity.

- Ids: botocore's model gives GatewayId the pattern `([0-9a-z][-]?){1,100}-[0-9a-z]{10}` and
  GatewayArn `...:gateway/([0-9a-z][-]?){1,48}-[a-z0-9]{10}`: the lowercased name, a hyphen and
  ten lowercase alphanumerics (AWS devguide, "Understanding Gateway CloudTrail events": gateway
  `test-openapi-gateway-9c8f7109` has id `test-openapi-gateway-9c8f7109-8fb4mo6pqx`). moto uses
  ten hex digits with no name.
- Workload identity: AgentCore Gateway creates a workload identity for each gateway (devguide,
  "Understanding workload identities": "AgentCore Gateway also creates workload identities
  automatically"); CreateGateway/GetGateway return its ARN in `workloadIdentityDetails`
  (`arn:aws:bedrock-agentcore:<region>:<account>:workload-identity-directory/default/workload-identity/<name>`).
  Its name is the gateway id: the CloudTrail example above shows, redacted, the same
  `<name>-<suffix>` shape, and public gateway role policies scope the gateway's identity as
  `workload-identity/<gateway name>-*` or `workload-identity/<gateway id>` (moto names it by the
  id as well). That the name equals the id exactly is UNCONFIRMED. The identity lives in the
  Identity control plane (Get/UpdateWorkloadIdentity by that name work) and goes with the gateway.
"""

from __future__ import annotations

import secrets
import string
from typing import Any, Protocol

ID_SUFFIX_ALPHABET = string.ascii_lowercase + string.digits


class IdentityDirectory(Protocol):
    """What the Identity control plane offers the gateway model (sandbox.identity_control)."""

    def create_service_identity(self, name: str, *, region: str) -> str: ...

    def delete_service_identity(self, name: str) -> None: ...


_directory: IdentityDirectory | None = None


def attach(directory: IdentityDirectory) -> None:
    """The Identity control plane that gateways register their identities in (one per sandbox)."""
    global _directory
    _directory = directory


def gateway_id(name: str) -> str:
    return f"{name.lower()}-{''.join(secrets.choice(ID_SUFFIX_ALPHABET) for _ in range(10))}"


def give_aws_id(gateway: Any, url_base: str) -> None:
    """Called from Gateway.__init__: replace moto's hex id and everything built from it."""
    gateway.gateway_id = gateway_id(gateway.name)
    gateway.gateway_arn = gateway.gateway_arn.rsplit("/", 1)[0] + "/" + gateway.gateway_id
    directory = gateway.workload_identity_details["workloadIdentityArn"].rsplit("/", 1)[0]
    gateway.workload_identity_details = {"workloadIdentityArn": f"{directory}/{gateway.gateway_id}"}
    region = gateway.region_name
    gateway.gateway_url = (
        f"{url_base}/gateway-mcp/{region}/{gateway.gateway_id}/mcp"
        if url_base
        else f"https://{gateway.gateway_id}.gateway.bedrock-agentcore.{region}.amazonaws.com/mcp"
    )


def identity_name(gateway: Any) -> str:
    """The name of the gateway's own workload identity: the last segment of its ARN."""
    return str(gateway.workload_identity_details["workloadIdentityArn"]).rsplit("/", 1)[-1]


def patch(cls: Any) -> None:
    """Wrap the backend: the identity is created with the gateway and deleted with it."""
    create_gateway, delete_gateway = cls.create_gateway, cls.delete_gateway

    def create_gateway_with_identity(self: Any, **kwargs: Any) -> Any:
        gateway = create_gateway(self, **kwargs)
        if _directory is not None:
            arn = _directory.create_service_identity(gateway.gateway_id, region=gateway.region_name)
            gateway.workload_identity_details = {"workloadIdentityArn": arn}
        return gateway

    def delete_gateway_with_identity(self: Any, gateway_identifier: str) -> Any:
        gateway = delete_gateway(self, gateway_identifier)
        if _directory is not None:
            _directory.delete_service_identity(identity_name(gateway))
        return gateway

    cls.create_gateway = create_gateway_with_identity
    cls.delete_gateway = delete_gateway_with_identity
