"""The sandbox fails where a real account fails, for the findings of issue 25's audit: each rule reproduced
here against the sandbox alone (what the product does about it: tests/kinds/test_account_fixes.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sandbox.dynamodb_rules import STALE_READS
from sandbox.runtime_launch import DECOY_PORT, public_host
from sandbox.server import REGION, Sandbox
from tests.sandbox.runtime_helpers import create_runtime, execution_role, settle, upload, zip_of
from tests.sandbox.test_fidelity import ROLE, ready_gateway
from tests.sandbox.test_runtime_invoke import invocation_url, signed_post


@pytest.fixture
def dynamodb(sandbox: Sandbox) -> Iterator[Any]:
    yield boto3.client("dynamodb")


@pytest.fixture
def control(sandbox: Sandbox) -> Iterator[Any]:
    yield boto3.client("bedrock-agentcore-control")


def refusal(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as refused:
        call()
    return refused.value.response["Error"]["Code"], refused.value.response["Error"]["Message"]


def table(dynamodb: Any, name: str = "rules-table", **extra: Any) -> str:
    made = dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
    return str(made["TableDescription"]["TableArn"])


def ttl(dynamodb: Any, attribute: str, *, enabled: bool = True) -> Any:
    return dynamodb.update_time_to_live(
        TableName="rules-table", TimeToLiveSpecification={"Enabled": enabled, "AttributeName": attribute}
    )


def test_a_second_ttl_change_within_the_hour_is_refused(dynamodb: Any) -> None:
    table(dynamodb)
    ttl(dynamodb, "expires_at")
    code, message = refusal(lambda: ttl(dynamodb, "expires_at", enabled=False))
    assert code == "ValidationException" and "multiple times" in message
    dynamodb.delete_table(TableName="rules-table")
    table(dynamodb)  # a new table of the same name starts afresh
    ttl(dynamodb, "other")


def test_table_tags_read_back_late_when_eventually_consistent(sandbox: Sandbox, dynamodb: Any) -> None:
    sandbox.set_consistency("eventual")
    arn = table(dynamodb, Tags=[{"Key": "owner", "Value": "a"}])
    tags = [dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"] for _ in range(STALE_READS + 1)]
    assert tags == [[]] * STALE_READS + [[{"Key": "owner", "Value": "a"}]]  # right after create: not yet
    dynamodb.tag_resource(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "b"}])
    tags = [dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"] for _ in range(STALE_READS + 1)]
    assert tags == [[{"Key": "owner", "Value": "a"}]] * STALE_READS + [[{"Key": "owner", "Value": "b"}]]


def test_tag_resource_replaces_a_value_instead_of_adding_a_second(dynamodb: Any) -> None:
    arn = table(dynamodb, Tags=[{"Key": "owner", "Value": "a"}])
    dynamodb.tag_resource(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "b"}])
    assert dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "b"}]


def test_deleting_a_runtime_that_is_gone_is_access_denied(control: Any) -> None:
    code, message = refusal(lambda: control.delete_agent_runtime(agentRuntimeId="gone_runtime-abcdefghij"))
    assert code == "AccessDeniedException" and "is not authorized to perform" in message
    code, _ = refusal(lambda: control.get_agent_runtime(agentRuntimeId="gone_runtime-abcdefghij"))
    assert code == "ResourceNotFoundException"


def test_update_gateway_takes_its_optional_protocol_type(control: Any) -> None:
    gateway_id = ready_gateway(control)
    control.update_gateway(gatewayIdentifier=gateway_id, name="fidelity-gw", roleArn=ROLE, authorizerType="AWS_IAM")


def test_a_gateway_cannot_be_renamed(control: Any) -> None:
    gateway_id = ready_gateway(control)
    code, message = refusal(
        lambda: control.update_gateway(
            gatewayIdentifier=gateway_id, name="renamed-gw", roleArn=ROLE, authorizerType="AWS_IAM"
        )
    )
    assert code == "ValidationException" and "must be the same" in message


def test_a_target_without_a_name_is_refused_in_aws_shape(control: Any) -> None:
    gateway_id = ready_gateway(control)
    configuration = {"mcp": {"openApiSchema": {"inlinePayload": "{}"}}}
    code, _ = refusal(
        lambda: control.create_gateway_target(gatewayIdentifier=gateway_id, targetConfiguration=configuration)
    )
    assert code == "ValidationException"


LISTENS_ON_PORT = """
import os
from http.server import BaseHTTPRequestHandler, HTTPServer
HTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8000"))), BaseHTTPRequestHandler).serve_forever()
"""
ECHO_HOST = """
import json
from http.server import BaseHTTPRequestHandler, HTTPServer

class Echo(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        data = json.dumps({"host": self.headers["Host"]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

HTTPServer(("0.0.0.0", 8000), Echo).serve_forever()
"""


def test_code_that_listens_on_port_instead_of_8000_does_not_serve(sandbox: Sandbox, control: Any) -> None:
    """The sandbox's PORT is not the contract's (the stricter reading of an UNCONFIRMED fact)."""
    runtime = settle(
        control,
        create_runtime(control, execution_role(), upload(zip_of({"main.py": LISTENS_ON_PORT})))["agentRuntimeId"],
    )
    answer = signed_post(invocation_url(sandbox.url, runtime["agentRuntimeArn"]), b"{}", {})
    assert answer.status_code == 424 and f":{DECOY_PORT}" in answer.text


def test_the_runtime_forwards_the_public_host_name(sandbox: Sandbox, control: Any) -> None:
    runtime = settle(
        control, create_runtime(control, execution_role(), upload(zip_of({"main.py": ECHO_HOST})))["agentRuntimeId"]
    )
    answer = signed_post(invocation_url(sandbox.url, runtime["agentRuntimeArn"]), b"{}", {})
    assert answer.status_code == 200, answer.text
    assert answer.json()["host"] == public_host(REGION)


def test_racing_conditional_writes_on_one_item_let_exactly_one_through(dynamodb: Any) -> None:
    """DynamoDB applies a conditional write atomically; moto alone, on the sandbox's threads, let two racing
    writers both pass the condition (sandbox.app._DYNAMODB_WRITES). Eight writers, five rounds."""
    import threading

    table(dynamodb)
    name = "rules-table"
    for round_ in range(5):
        key = {"k": {"S": f"item-{round_}"}}
        dynamodb.put_item(TableName=name, Item={**key, "owner": {"S": "nobody"}})
        barrier, won = threading.Barrier(8), []

        def claim(n: int, barrier: threading.Barrier, key: dict[str, Any], won: list[int]) -> None:
            client = boto3.client("dynamodb")
            barrier.wait()
            try:
                client.update_item(
                    TableName=name,
                    Key=key,
                    UpdateExpression="SET #o = :me",
                    ConditionExpression="#o = :nobody",
                    ExpressionAttributeNames={"#o": "owner"},
                    ExpressionAttributeValues={":me": {"S": f"writer-{n}"}, ":nobody": {"S": "nobody"}},
                )
                won.append(n)
            except ClientError as error:
                assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"

        threads = [threading.Thread(target=claim, args=(n, barrier, key, won)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(won) == 1, (round_, won)
