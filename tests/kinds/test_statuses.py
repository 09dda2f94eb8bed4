"""Every status the kinds wait for or stop at is one AWS can return (botocore's enums)."""

from __future__ import annotations

import botocore.session
import pytest

from reconciler.kinds import agentcore

MODEL = botocore.session.get_session().get_service_model("bedrock-agentcore-control")


def enum(operation: str) -> set[str]:
    return set(MODEL.operation_model(operation).output_shape.members["status"].enum)


@pytest.mark.parametrize(
    ("statuses", "operation"),
    [
        ("READY", "GetGateway"),
        ("GATEWAY_FAILED", "GetGateway"),
        ("DELETE_FAILED", "GetGateway"),
        ("READY", "GetGatewayTarget"),
        ("TARGET_PENDING_AUTH", "GetGatewayTarget"),
        ("TARGET_FAILED", "GetGatewayTarget"),
        ("DELETE_FAILED", "GetGatewayTarget"),
        ("READY", "GetOauth2CredentialProvider"),
        ("PROVIDER_FAILED", "GetOauth2CredentialProvider"),
        ("PROVIDER_DELETE_FAILED", "GetOauth2CredentialProvider"),
    ],
)
def test_status_is_in_the_botocore_enum(statuses: str, operation: str) -> None:
    assert getattr(agentcore, statuses) <= enum(operation)
