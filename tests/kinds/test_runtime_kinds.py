"""Pure parts of the Runtime deployment's kinds: statuses from botocore's enums, names AWS accepts,
and which platform the code artifact is packaged for."""

from __future__ import annotations

import re

import botocore.session
import pytest

from reconciler.kinds import agentcore, session_table
from reconciler.kinds.agent_runtime import AgentRuntime
from reconciler.kinds.code_artifact import target_platform
from reconciler.packaging import AWS_ARM64, host

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
