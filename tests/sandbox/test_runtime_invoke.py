"""InvokeAgentRuntime in the sandbox: SigV4 checked, only allow-listed headers forwarded, and the
answer comes from a process started from the zip uploaded to the sandbox's S3."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import boto3
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from sandbox.server import ACCESS_KEY, REGION, SECRET_KEY, Sandbox
from tests.sandbox.runtime_helpers import ECHO_SERVER, artifact, create_runtime, execution_role, settle, upload, zip_of

CUSTOM = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-User-Token"


@pytest.fixture
def control(sandbox: Sandbox) -> Iterator[Any]:
    yield boto3.client("bedrock-agentcore-control")


@pytest.fixture
def echo(control: Any) -> dict[str, Any]:
    """A READY runtime whose deployed code echoes what reached it."""
    created = create_runtime(
        control,
        execution_role(),
        upload(zip_of({"main.py": ECHO_SERVER})),
        requestHeaderConfiguration={"requestHeaderAllowlist": [CUSTOM]},
        environmentVariables={"APP_GREETING": "hello"},
    )
    return settle(control, created["agentRuntimeId"])


def invocation_url(base: str, arn: str, qualifier: str = "DEFAULT") -> str:
    return f"{base}/runtimes/{quote(arn, safe='')}/invocations?qualifier={qualifier}"


def signed_post(url: str, body: bytes, headers: dict[str, str], secret: str = SECRET_KEY) -> httpx.Response:
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY, secret), "bedrock-agentcore", REGION).add_auth(request)
    # The first invocation starts the runtime's process (a cold start): seconds on a loaded machine.
    return httpx.post(url, content=body, headers=dict(request.headers.items()), timeout=60.0)


def test_the_uploaded_code_answers_with_only_allow_listed_headers(sandbox: Sandbox, echo: dict[str, Any]) -> None:
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "Mcp-Protocol-Version": "2025-11-25",
        CUSTOM: "user-jwt",
        "X-Not-Allowed": "dropped",
    }
    answer = signed_post(invocation_url(sandbox.url, echo["agentRuntimeArn"]), b'{"jsonrpc":"2.0"}', headers)
    assert answer.status_code == 200, answer.text
    seen = answer.json()
    received = {name.lower(): value for name, value in seen["headers"].items()}
    assert seen["path"] == "/mcp" and seen["body"] == '{"jsonrpc":"2.0"}'
    assert received[CUSTOM.lower()] == "user-jwt" and received["mcp-protocol-version"] == "2025-11-25"
    assert "x-not-allowed" not in received and "authorization" not in received and "x-amz-date" not in received
    assert (
        received["x-amzn-bedrock-agentcore-runtime-session-id"]
        == answer.headers["X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"]
    )
    assert seen["env"]["APP_GREETING"] == "hello" and seen["env"]["AWS_REGION"] == REGION


@pytest.mark.parametrize(
    "sign",
    [pytest.param(False, id="unsigned"), pytest.param(True, id="signed-with-a-wrong-secret")],
)
def test_a_request_without_a_valid_signature_is_refused(sandbox: Sandbox, echo: dict[str, Any], sign: bool) -> None:
    url = invocation_url(sandbox.url, echo["agentRuntimeArn"])
    headers = {"Content-Type": "application/json"}
    answer = (
        signed_post(url, b"{}", headers, secret="wrong") if sign else httpx.post(url, content=b"{}", headers=headers)
    )
    assert answer.status_code == 403 and answer.headers["x-amzn-ErrorType"] == "AccessDeniedException"


def test_boto3_invoke_agent_runtime_reaches_the_code(echo: dict[str, Any]) -> None:
    data = boto3.client("bedrock-agentcore")
    answer = data.invoke_agent_runtime(
        agentRuntimeArn=echo["agentRuntimeArn"], qualifier="DEFAULT", payload=b"ping", contentType="application/json"
    )
    assert b'"body": "ping"' in answer["response"].read()
    assert len(answer["runtimeSessionId"]) >= 33  # botocore fills the idempotency token; it comes back


def test_unknown_runtimes_and_qualifiers_are_not_found(echo: dict[str, Any]) -> None:
    data = boto3.client("bedrock-agentcore")
    for arn, qualifier in [(echo["agentRuntimeArn"], "canary"), (echo["agentRuntimeArn"][:-3] + "xyz", "DEFAULT")]:
        with pytest.raises(ClientError) as caught:
            data.invoke_agent_runtime(agentRuntimeArn=arn, qualifier=qualifier, payload=b"{}")
        assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_new_version_is_served_by_its_own_code(control: Any, echo: dict[str, Any]) -> None:
    changed = ECHO_SERVER.replace('"path": self.path', '"path": "v2:" + self.path')
    control.update_agent_runtime(
        agentRuntimeId=echo["agentRuntimeId"],
        agentRuntimeArtifact=artifact(upload(zip_of({"main.py": changed}), key="echo-v2.zip")),
        roleArn=echo["roleArn"],
        networkConfiguration={"networkMode": "PUBLIC"},
        protocolConfiguration={"serverProtocol": "MCP"},
    )
    data = boto3.client("bedrock-agentcore")

    def path() -> Any:
        answer = data.invoke_agent_runtime(agentRuntimeArn=echo["agentRuntimeArn"], payload=b"{}")
        return json.loads(answer["response"].read())["path"]

    assert path() == "/mcp"  # UPDATING: DEFAULT still serves version 1
    settle(control, echo["agentRuntimeId"])
    assert path() == "v2:/mcp"


def test_code_that_crashes_at_start_is_a_runtime_client_error(control: Any) -> None:
    created = create_runtime(control, execution_role(), upload(zip_of({"main.py": "raise SystemExit('boom')"})))
    runtime = settle(control, created["agentRuntimeId"])
    with pytest.raises(ClientError) as caught:
        boto3.client("bedrock-agentcore").invoke_agent_runtime(
            agentRuntimeArn=runtime["agentRuntimeArn"], payload=b"{}"
        )
    assert caught.value.response["Error"]["Code"] == "RuntimeClientError" and "boom" in str(caught.value)
