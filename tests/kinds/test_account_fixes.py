"""What the kinds do about issue 25's findings, each first reproduced by the sandbox's rule
(tests/sandbox/test_account_rules.py): the TTL hour rule, table tags read back late, and a delete of a
runtime that is already gone answering AccessDenied."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from reconciler.aws import Clients
from reconciler.kinds.agent_runtime import AgentRuntime
from reconciler.kinds.base import Context
from reconciler.live import Live
from sandbox.server import Sandbox
from tests.conftest import reconcile
from tests.sandbox.runtime_helpers import ECHO_SERVER, create_runtime, execution_role, settle, upload, zip_of

TABLE_STACK = """stack: acct
resources:
  sessions:
    kind: session_table
    ttl_attribute: {ttl}
"""


def _write_stack(folder: Path, ttl: str) -> None:
    (folder / "stack.yaml").write_text(TABLE_STACK.format(ttl=ttl))


def _actions() -> dict[str, str]:
    result = reconcile("plan", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output[result.output.index("{") :])
    return {change["address"]: change["action"] for change in document["resource_changes"]}


@pytest.fixture
def table_stack(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    _write_stack(tmp_path, "expires_at")
    return tmp_path


def test_a_plan_right_after_apply_sees_the_table_as_owned(sandbox: Sandbox, table_stack: Path) -> None:
    """DynamoDB tags read back "after a few seconds": apply waits for them, so the next plan is a no-op."""
    sandbox.set_consistency("eventual")
    applied = reconcile("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert set(_actions().values()) == {"no-op"}


def test_a_new_ttl_attribute_replaces_the_table(table_stack: Path) -> None:
    """A second UpdateTimeToLive within the hour is refused: switching attributes is a new table."""
    assert reconcile("apply", "--auto-approve").exit_code == 0
    _write_stack(table_stack, "valid_until")
    assert set(_actions().values()) == {"replace"}
    applied = reconcile("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    ttl = boto3.client("dynamodb").describe_time_to_live(TableName="acct-sessions")["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "valid_until")
    assert set(_actions().values()) == {"no-op"}


def _runtime_live(runtime: dict[str, Any]) -> Live:
    outputs = {"id": runtime["agentRuntimeId"], "arn": runtime["agentRuntimeArn"]}
    return Live(name="echo_server", owned=True, document={}, outputs=outputs)


def _context(control: Any) -> Context:
    return Context(clients=Clients(iam=None, control=control, region="us-east-1"), stack="acct", poll_initial=0.01)


def test_deleting_a_runtime_that_is_already_gone_succeeds(sandbox: Sandbox) -> None:
    control = boto3.client("bedrock-agentcore-control")
    runtime = settle(
        control, create_runtime(control, execution_role(), upload(zip_of({"main.py": ECHO_SERVER})))["agentRuntimeId"]
    )
    live = _runtime_live(runtime)
    AgentRuntime().delete(_context(control), live)
    AgentRuntime().delete(_context(control), live)  # DeleteAgentRuntime answers AccessDenied now: gone


def test_a_real_access_denied_on_delete_is_raised() -> None:
    """The runtime is still there (GetAgentRuntime finds it): the refusal is the user's missing permission."""
    control = boto3.client(
        "bedrock-agentcore-control", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    denied = (
        "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: bedrock-agentcore:DeleteAgentRuntime"
    )
    found = {
        "agentRuntimeArn": "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/echo_server-abcdefghij",
        "agentRuntimeName": "echo_server",
        "agentRuntimeId": "echo_server-abcdefghij",
        "agentRuntimeVersion": "1",
        "createdAt": "2026-01-01T00:00:00Z",
        "lastUpdatedAt": "2026-01-01T00:00:00Z",
        "roleArn": "arn:aws:iam::123456789012:role/runtime-role",
        "networkConfiguration": {"networkMode": "PUBLIC"},
        "status": "READY",
        "lifecycleConfiguration": {},
    }
    runtime_id = {"agentRuntimeId": "echo_server-abcdefghij"}
    with Stubber(control) as stubber, pytest.raises(ClientError) as refused:
        stubber.add_client_error(
            "delete_agent_runtime", "AccessDeniedException", denied, 403, expected_params=runtime_id
        )
        stubber.add_response("get_agent_runtime", found, runtime_id)
        stubber.add_client_error(
            "delete_agent_runtime", "AccessDeniedException", denied, 403, expected_params=runtime_id
        )
        AgentRuntime().delete(_context(control), _runtime_live(found))
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
