"""Pure parts of the Runtime deployment's kinds: statuses from botocore's enums, names AWS accepts,
and which platform the code artifact is packaged for."""

from __future__ import annotations

import json
import re
from typing import Any

import botocore.session
import pytest
import yaml

from handoff.config import HAND_OFF_VARIABLE, config_from_environment
from reconciler.kinds import agentcore, session_table
from reconciler.kinds.agent_runtime import MAX_ENVIRONMENT_VALUE, AgentRuntime
from reconciler.kinds.code_artifact import target_platform
from reconciler.kinds.hand_off_text import hand_off_text
from reconciler.kinds.waiting import ResourceFailed
from reconciler.packaging import AWS_ARM64, host
from reconciler.spec.openapi_check import operation_presentations
from tests.conftest import ROOT

CONTROL = botocore.session.get_session().get_service_model("bedrock-agentcore-control")
DYNAMODB = botocore.session.get_session().get_service_model("dynamodb")


def test_runtime_statuses_are_in_botocores_enum() -> None:
    statuses = set(CONTROL.shape_for("AgentRuntimeStatus").enum)
    assert agentcore.RUNTIME_FAILED | agentcore.RUNTIME_DELETE_FAILED | agentcore.READY <= statuses


def test_table_statuses_are_in_botocores_enum() -> None:
    assert session_table.ACTIVE | session_table.FAILED <= set(DYNAMODB.shape_for("TableStatus").enum)


@pytest.mark.parametrize(
    ("stack", "logical"),
    [pytest.param("github-mcp", "server", id="hyphenated-stack"), pytest.param("demo", "mcp_server", id="plain")],
)
def test_the_default_runtime_name_matches_botocores_pattern(stack: str, logical: str) -> None:
    name = AgentRuntime().default_name(stack, logical)
    assert re.fullmatch(CONTROL.shape_for("AgentRuntimeName").metadata["pattern"], name)
    assert re.fullmatch(AgentRuntime.name_pattern, name)


@pytest.mark.parametrize(
    ("choice", "endpoint", "expected"),
    [
        pytest.param("auto", "http://127.0.0.1:4566", "host", id="auto-sandbox"),
        pytest.param("auto", "http://localhost:4566", "host", id="auto-localhost"),
        pytest.param("auto", "", "aws", id="auto-aws"),
        pytest.param("auto", "https://bedrock-agentcore-control.us-east-1.amazonaws.com", "aws", id="auto-endpoint"),
        pytest.param("linux-arm64", "http://127.0.0.1:4566", "aws", id="forced-arm64"),
        pytest.param("host", "", "host", id="forced-host"),
    ],
)
def test_the_artifact_platform(choice: str, endpoint: str, expected: str) -> None:
    environ = {"AWS_ENDPOINT_URL": endpoint} if endpoint else {}
    assert target_platform(choice, environ) == (host() if expected == "host" else AWS_ARM64)


def test_a_policy_resource_known_only_after_apply_is_normalized() -> None:
    """`Resource: ${sessions.arn}` before the table exists (it raised TypeError: 'Unknown' is not iterable)."""
    from reconciler.kinds.iam_role import normalize_policy
    from reconciler.spec.interpolation import UNKNOWN

    policy = {"Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": UNKNOWN}]}
    assert normalize_policy(policy) == {
        "Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": [UNKNOWN]}]
    }


def test_a_bucket_name_taken_by_another_account_is_named_as_such() -> None:
    """S3 names are global: HeadBucket on another account's bucket is a bare 403 (no body); the plan says why."""
    import boto3
    from botocore.exceptions import ClientError
    from botocore.stub import Stubber

    from reconciler.aws import Clients
    from reconciler.kinds.artifact_bucket import ArtifactBucket
    from reconciler.kinds.base import Context

    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    ctx = Context(clients=Clients(iam=None, control=None, region="us-east-1", s3=s3), stack="github-mcp")
    with Stubber(s3) as stubber, pytest.raises(ClientError) as refused:
        stubber.add_client_error("head_bucket", "403", "Forbidden", http_status_code=403)
        ArtifactBucket().read(ctx, "github-mcp-artifacts", {})
    assert "another account's" in str(refused.value) and "ARTIFACT_BUCKET" in str(refused.value)


def _shipped_hand_off() -> dict[str, Any]:
    """What apply hands the Runtime for the shipped document, with AWS-sized names and URLs."""
    how = operation_presentations(yaml.safe_load((ROOT / "openapi" / "github.yaml").read_text()))
    gateway = "https://github-mcp-gw-abcdefghij.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp"
    return {
        "callback_url": "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/oauth/callback",
        "session_table": "github-mcp-sessions",
        "gateway": {
            "id": "github-mcp-gw-abcdefghij",
            "arn": "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/github-mcp-gw-abcdefghij",
            "url": gateway,
            "name": "github-mcp-gateway",
            "authorizer": {  # the shipped default, CUSTOM_JWT, with a Cognito pool's values
                "type": "CUSTOM_JWT",
                "discovery_url": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI/.well-known/"
                "openid-configuration",
                "allowed_clients": ["1example23456789abcdefghij"],
                "allowed_scopes": ["github-mcp/tools"],
            },
        },
        "tools": {op: f"GitHubTarget___{op}" for op in how},
        "operations": how,
    }


def test_the_shipped_toolset_fits_the_runtimes_environment_with_room_to_grow() -> None:
    """Packed, the shipped document's hand-off (~4,500 characters as compact JSON, nearly all of the 5,000 an
    environment variable holds) takes about a third of them (~1,700); what does not fit is refused at apply with
    what to do, never cut."""
    hand_off = _shipped_hand_off()
    assert len(json.dumps(hand_off, separators=(",", ":"))) > 4400  # as JSON: room for two or three more operations
    text = hand_off_text(hand_off, stack="github-mcp", region="us-east-1", limit=MAX_ENVIRONMENT_VALUE, holder="-")
    assert len(text) < 2000, len(text)
    assert config_from_environment({HAND_OFF_VARIABLE: text}) is not None
    with pytest.raises(ResourceFailed, match="characters packed; an environment variable holds at most 1000: list"):
        hand_off_text(hand_off, stack="github-mcp", region="us-east-1", limit=1000, holder="an environment variable")
