"""The sandbox's AgentCore Runtime control plane behaves as AWS documents it (sandbox.runtime_control
names the source of each rule). Everything goes through boto3, so every request also passes
botocore's parameter validation."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError

from sandbox.server import Sandbox
from tests.sandbox.runtime_helpers import (
    ECHO_SERVER,
    artifact,
    create_runtime,
    ensure_bucket,
    execution_role,
    settle,
    upload,
    zip_of,
)

MODEL = botocore.session.get_session().get_service_model("bedrock-agentcore-control")
STATUSES = set(MODEL.shape_for("AgentRuntimeStatus").enum)
ENDPOINT_STATUSES = set(MODEL.shape_for("AgentRuntimeEndpointStatus").enum)
ARN = re.compile(MODEL.shape_for("AgentRuntimeArn").metadata["pattern"])
RUNTIME_ID = re.compile(MODEL.shape_for("AgentRuntimeId").metadata["pattern"])


@pytest.fixture
def control(sandbox: Sandbox) -> Iterator[Any]:
    yield boto3.client("bedrock-agentcore-control")


@pytest.fixture
def role(control: Any) -> str:
    return execution_role()


@pytest.fixture
def key(control: Any) -> str:
    return upload(zip_of({"main.py": ECHO_SERVER}))


def _error(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_create_gives_aws_shaped_ids_and_settles_to_ready_after_creating(control: Any, role: str, key: str) -> None:
    created = create_runtime(control, role, key)
    assert created["status"] == "CREATING" and created["agentRuntimeVersion"] == "1"
    assert RUNTIME_ID.fullmatch(created["agentRuntimeId"]) and created["agentRuntimeId"].startswith("echo_server-")
    assert ARN.fullmatch(created["agentRuntimeArn"])
    assert created["agentRuntimeArn"].endswith(f":runtime/{created['agentRuntimeId']}")
    first = control.get_agent_runtime(agentRuntimeId=created["agentRuntimeId"])
    assert first["status"] == "CREATING"  # code that does not wait for READY fails here too
    ready = control.get_agent_runtime(agentRuntimeId=created["agentRuntimeId"])
    assert ready["status"] == "READY" and ready["agentRuntimeName"] == "echo_server"
    assert ready["lifecycleConfiguration"] == {"idleRuntimeSessionTimeout": 900, "maxLifetime": 28800}
    assert ready["protocolConfiguration"] == {"serverProtocol": "MCP"}
    assert {first["status"], ready["status"]} <= STATUSES


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"agentRuntimeName": "echo-server"}, "agentRuntimeName", id="hyphen-in-name"),
        pytest.param({"agentRuntimeName": "1echo"}, "agentRuntimeName", id="name-starts-with-digit"),
        pytest.param({"networkConfiguration": None}, "networkConfiguration", id="no-network-configuration"),
        pytest.param(
            {"requestHeaderConfiguration": {"requestHeaderAllowlist": ["Authorization"]}},
            "customJWTAuthorizer",
            id="authorization-without-jwt-authorizer",
        ),
        pytest.param(
            {"requestHeaderConfiguration": {"requestHeaderAllowlist": ["X-Amz-Date"]}}, "reserved", id="x-amz-header"
        ),
        pytest.param(
            {"requestHeaderConfiguration": {"requestHeaderAllowlist": ["X-Amzn-Trace-Id"]}},
            "reserved",
            id="x-amzn-header-without-custom-prefix",
        ),
        pytest.param(
            {"requestHeaderConfiguration": {"requestHeaderAllowlist": ["Host"]}}, "restricted", id="restricted-header"
        ),
        pytest.param(
            {"requestHeaderConfiguration": {"requestHeaderAllowlist": ["X-Api-Key", "x-api-key"]}},
            "twice",
            id="duplicate-header-any-case",
        ),
        pytest.param(
            {"requestHeaderConfiguration": {"requestHeaderAllowlist": [f"X-Custom-{i}" for i in range(21)]}},
            "at most 20",
            id="21-headers",
        ),
        pytest.param(
            {"environmentVariables": {f"APP_{i}": "x" for i in range(51)}}, "at most 50", id="51-environment-variables"
        ),
        pytest.param(
            {"agentRuntimeArtifact": {"containerConfiguration": {"containerUri": "1.dkr.ecr/x:1"}}},
            "does not support",
            id="container-artifact-said-plainly",
        ),
    ],
)
def test_create_refuses_what_aws_refuses(
    control: Any, role: str, key: str, change: dict[str, Any], message: str
) -> None:
    code, text = _error(lambda: _create_with(control, role, key, change))
    assert code == "ValidationException" and message in text, text
    assert control.list_agent_runtimes()["agentRuntimes"] == []


def _create_with(control: Any, role: str, key: str, change: dict[str, Any]) -> Any:
    arguments = {
        "agentRuntimeName": "echo_server",
        "agentRuntimeArtifact": artifact(key),
        "roleArn": role,
        "networkConfiguration": {"networkMode": "PUBLIC"},
        **change,
    }
    return control.create_agent_runtime(**{k: v for k, v in arguments.items() if v is not None})


def test_allowed_headers_pass_the_documented_rules(control: Any, role: str, key: str) -> None:
    headers = ["X-Amzn-Bedrock-AgentCore-Runtime-Custom-User-Token", "X-Api-Key"]
    created = create_runtime(control, role, key, requestHeaderConfiguration={"requestHeaderAllowlist": headers})
    assert settle(control, created["agentRuntimeId"])["requestHeaderConfiguration"]["requestHeaderAllowlist"] == headers


def test_names_are_unique_and_a_client_token_makes_create_idempotent(control: Any, role: str, key: str) -> None:
    first = create_runtime(control, role, key, clientToken="t" * 33)
    again = create_runtime(control, role, key, clientToken="t" * 33)
    assert again["agentRuntimeId"] == first["agentRuntimeId"]
    code, _ = _error(lambda: create_runtime(control, role, key))
    assert code == "ConflictException"


@pytest.mark.parametrize(
    "trust",
    [
        pytest.param(None, id="role-missing"),
        pytest.param({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}, id="wrong-service"),
    ],
)
def test_the_execution_role_must_exist_and_trust_agentcore(
    control: Any, key: str, trust: dict[str, Any] | None
) -> None:
    if trust is None:
        role = "arn:aws:iam::123456789012:role/missing"
    else:
        document = {"Version": "2012-10-17", "Statement": [{**trust, "Action": "sts:AssumeRole"}]}
        role = execution_role("lambda-role", document)
    code, text = _error(lambda: create_runtime(control, role, key))
    assert code == "ValidationException" and text.startswith("Role validation failed")


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        pytest.param(None, "does not exist", id="zip-missing-from-s3"),
        pytest.param({"other.py": "print()"}, "entry point main.py is not in the code artifact", id="no-entry-point"),
    ],
)
def test_code_that_cannot_run_fails_the_create_with_a_reason(
    control: Any, role: str, files: dict[str, str] | None, reason: str
) -> None:
    ensure_bucket()
    key = upload(zip_of(files)) if files else "absent.zip"
    created = create_runtime(control, role, key)
    failed = settle(control, created["agentRuntimeId"])
    assert failed["status"] == "CREATE_FAILED" and reason in failed["failureReason"]
    assert "liveVersion" not in control.get_agent_runtime_endpoint(
        agentRuntimeId=created["agentRuntimeId"], endpointName="DEFAULT"
    )


def test_an_update_is_a_new_version_of_the_whole_document_and_default_follows_it(
    control: Any, role: str, key: str
) -> None:
    created = create_runtime(control, role, key, description="first", environmentVariables={"APP_A": "1"})
    runtime_id = created["agentRuntimeId"]
    settle(control, runtime_id)
    updated = control.update_agent_runtime(
        agentRuntimeId=runtime_id,
        agentRuntimeArtifact=artifact(key),
        roleArn=role,
        networkConfiguration={"networkMode": "PUBLIC"},
        protocolConfiguration={"serverProtocol": "MCP"},
    )
    assert updated["status"] == "UPDATING" and updated["agentRuntimeVersion"] == "2"
    assert updated["agentRuntimeArn"] == created["agentRuntimeArn"]  # the ARN names the runtime, not a version
    endpoint = control.get_agent_runtime_endpoint(agentRuntimeId=runtime_id, endpointName="DEFAULT")
    assert (endpoint["liveVersion"], endpoint["targetVersion"], endpoint["status"]) == ("1", "2", "UPDATING")
    ready = settle(control, runtime_id)
    assert ready["agentRuntimeVersion"] == "2"
    assert "description" not in ready and "environmentVariables" not in ready  # left out = reset
    endpoint = control.get_agent_runtime_endpoint(agentRuntimeId=runtime_id, endpointName="DEFAULT")
    assert (endpoint["liveVersion"], endpoint["status"]) == ("2", "READY") and "targetVersion" not in endpoint
    assert endpoint["status"] in ENDPOINT_STATUSES
    versions = control.list_agent_runtime_versions(agentRuntimeId=runtime_id)["agentRuntimes"]
    assert [(v["agentRuntimeVersion"], v["status"]) for v in versions] == [("2", "READY"), ("1", "READY")]
    first = control.get_agent_runtime(agentRuntimeId=runtime_id, agentRuntimeVersion="1")
    assert first["description"] == "first" and first["environmentVariables"] == {"APP_A": "1"}


def test_an_unsettled_runtime_cannot_be_updated(control: Any, role: str, key: str) -> None:
    created = create_runtime(control, role, key)
    code, _ = _error(
        lambda: control.update_agent_runtime(
            agentRuntimeId=created["agentRuntimeId"],
            agentRuntimeArtifact=artifact(key),
            roleArn=role,
            networkConfiguration={"networkMode": "PUBLIC"},
        )
    )
    assert code == "ConflictException"


def test_the_default_endpoint_is_managed_by_agentcore(control: Any, role: str, key: str) -> None:
    runtime_id = create_runtime(control, role, key)["agentRuntimeId"]
    settle(control, runtime_id)
    endpoints = control.list_agent_runtime_endpoints(agentRuntimeId=runtime_id)["runtimeEndpoints"]
    assert [e["name"] for e in endpoints] == ["DEFAULT"] and endpoints[0]["liveVersion"] == "1"
    code, _ = _error(lambda: control.delete_agent_runtime_endpoint(agentRuntimeId=runtime_id, endpointName="DEFAULT"))
    assert code == "ValidationException"


def test_delete_is_asynchronous_deleting_then_not_found(control: Any, role: str, key: str) -> None:
    runtime_id = create_runtime(control, role, key)["agentRuntimeId"]
    settle(control, runtime_id)
    assert control.delete_agent_runtime(agentRuntimeId=runtime_id)["status"] == "DELETING"
    assert control.list_agent_runtimes()["agentRuntimes"][0]["status"] == "DELETING"
    assert control.get_agent_runtime(agentRuntimeId=runtime_id)["status"] == "DELETING"
    code, _ = _error(lambda: control.get_agent_runtime(agentRuntimeId=runtime_id))
    assert code == "ResourceNotFoundException"
    assert control.list_agent_runtimes()["agentRuntimes"] == []


def test_tags_of_a_runtime(control: Any, role: str, key: str) -> None:
    arn = create_runtime(control, role, key, tags={"reconcile:stack": "demo"})["agentRuntimeArn"]
    control.tag_resource(resourceArn=arn, tags={"team": "platform"})
    control.untag_resource(resourceArn=arn, tagKeys=["reconcile:stack"])
    assert control.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "platform"}


def test_eventually_consistent_reads_like_aws(sandbox: Sandbox, control: Any, role: str, key: str) -> None:
    """SANDBOX_CONSISTENCY=eventual: not found right after create, the old document right after update."""
    sandbox.set_consistency("eventual")
    runtime_id = create_runtime(control, role, key, description="first")["agentRuntimeId"]
    code, _ = _error(lambda: control.get_agent_runtime(agentRuntimeId=runtime_id))
    assert code == "ResourceNotFoundException"
    assert settle(control, runtime_id)["status"] == "READY"
    control.update_agent_runtime(
        agentRuntimeId=runtime_id,
        agentRuntimeArtifact=artifact(key),
        roleArn=role,
        networkConfiguration={"networkMode": "PUBLIC"},
        description="second",
    )
    stale = control.get_agent_runtime(agentRuntimeId=runtime_id)
    assert (stale["status"], stale["agentRuntimeVersion"], stale["description"]) == ("READY", "1", "first")
    fresh = settle(control, runtime_id)
    assert (fresh["agentRuntimeVersion"], fresh["description"]) == ("2", "second")


def test_the_first_runtime_creates_the_service_linked_role_with_the_callers_permissions(role: str, key: str) -> None:
    """A deployer allowed everything but iam:CreateServiceLinkedRole is refused as AWS refuses it while the account
    lacks AgentCore's runtime-identity role; once the root user's create has made the role, the same deployer may."""
    iam = boto3.client("iam")
    iam.create_user(UserName="deployer")
    everything_but = {"Effect": "Allow", "NotAction": "iam:CreateServiceLinkedRole", "Resource": "*"}
    policy = {"Version": "2012-10-17", "Statement": [everything_but]}
    iam.put_user_policy(UserName="deployer", PolicyName="deploy", PolicyDocument=json.dumps(policy))
    deployer = iam.create_access_key(UserName="deployer")["AccessKey"]
    as_deployer = boto3.client(
        "bedrock-agentcore-control",
        aws_access_key_id=deployer["AccessKeyId"],
        aws_secret_access_key=deployer["SecretAccessKey"],
    )

    code, message = _error(lambda: create_runtime(as_deployer, role, key))
    assert code == "AccessDeniedException" and message.startswith("Failed creating service linked role.")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="AWSServiceRoleForBedrockAgentCoreRuntimeIdentity")

    create_runtime(boto3.client("bedrock-agentcore-control"), role, key)  # the sandbox's own keys: the root user
    made = iam.get_role(RoleName="AWSServiceRoleForBedrockAgentCoreRuntimeIdentity")["Role"]
    assert made["Path"] == "/aws-service-role/runtime-identity.bedrock-agentcore.amazonaws.com/"
    created = create_runtime(as_deployer, role, key, agentRuntimeName="second_runtime")
    assert created["status"] == "CREATING"
