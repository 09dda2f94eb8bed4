"""Malformed or unexpected requests get AWS-shaped answers, never a traceback; only loopback is served."""

from __future__ import annotations

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError
from werkzeug.test import Client

from sandbox.server import Sandbox


def test_bad_name_is_a_validation_exception(sandbox: Sandbox) -> None:
    with pytest.raises(ClientError) as error:
        boto3.client("bedrock-agentcore-control").create_workload_identity(name="bad name!")
    assert error.value.response["Error"]["Code"] == "ValidationException"


def test_unknown_resources_are_not_found(sandbox: Sandbox) -> None:
    control = boto3.client("bedrock-agentcore-control")
    with pytest.raises(control.exceptions.ResourceNotFoundException):
        control.get_oauth2_credential_provider(name="missing")
    with pytest.raises(ClientError) as error:
        control.delete_workload_identity(name="missing")
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_gateway_with_targets_cannot_be_deleted_and_target_needs_ready_gateway(sandbox: Sandbox) -> None:
    control = boto3.client("bedrock-agentcore-control")
    gateway = control.create_gateway(
        name="g1", roleArn="arn:aws:iam::123456789012:role/r", protocolType="MCP", authorizerType="AWS_IAM"
    )
    target = {"mcp": {"openApiSchema": {"inlinePayload": "{}"}}}
    with pytest.raises(ClientError, match="targets can be added only when it is READY"):
        control.create_gateway_target(gatewayIdentifier=gateway["gatewayId"], name="t1", targetConfiguration=target)
    assert control.get_gateway(gatewayIdentifier=gateway["gatewayId"])["status"] == "READY"
    control.create_gateway_target(gatewayIdentifier=gateway["gatewayId"], name="t1", targetConfiguration=target)
    with pytest.raises(ClientError) as error:
        control.delete_gateway(gatewayIdentifier=gateway["gatewayId"])
    assert error.value.response["Error"]["Code"] == "ConflictException"


def test_unimplemented_operation_is_an_aws_error_not_a_traceback(sandbox: Sandbox) -> None:
    response = httpx.post(f"{sandbox.url}/identities/GetWorkloadAccessToken", json={"workloadName": "x"})
    assert response.status_code == 404
    assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert "Traceback" not in response.text


def test_unknown_route_lists_what_exists(sandbox: Sandbox) -> None:
    response = httpx.get(f"{sandbox.url}/github/nowhere")
    assert response.status_code == 404
    assert "GET /github/api/user/repos" in response.json()["routes"]


def test_non_json_body_is_a_serialization_error(sandbox: Sandbox) -> None:
    response = httpx.post(f"{sandbox.url}/identities/CreateWorkloadIdentity", content=b"{not json")
    assert response.status_code == 400 and response.headers["x-amzn-ErrorType"] == "SerializationException"


def test_non_loopback_clients_are_refused(sandbox: Sandbox) -> None:
    client = Client(sandbox.app)
    assert client.get("/__sandbox/health", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    refused = client.get("/__sandbox/health", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert refused.status_code == 403
