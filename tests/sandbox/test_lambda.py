"""The sandbox's Lambda (issue 22): moto's control plane made as strict as AWS (sandbox.lambda_rules), and
function URLs answered by the uploaded zip (sandbox.lambda_urls, sandbox.lambda_code)."""

from __future__ import annotations

import io
import json
import re
import sys
import zipfile
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from demo.function_urls import client as url_client
from sandbox.server import Sandbox

RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
HANDLER = """
import json
def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "cookies": ["seen=1; Secure; HttpOnly"],
        "body": json.dumps({"version": VERSION, "path": event["rawPath"], "query": event.get("rawQueryString"),
                            "cookies": event.get("cookies", []), "proto": event["headers"]["x-forwarded-proto"],
                            "host": event["headers"]["host"], "region": __import__("os").environ["AWS_REGION"]}),
    }
"""


def code(version: int = 1, *, extra: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", f"VERSION = {version}\n{extra}\n{HANDLER}")
    return buffer.getvalue()


def role(name: str = "fn-role", trust: dict[str, Any] = TRUST) -> str:
    return str(
        boto3.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    )


def create(lam: Any, name: str = "fn", **overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": RUNTIME,
        "Role": role(),
        "Handler": "app.handler",
        "Code": {"ZipFile": code()},
        "Architectures": ["arm64"],
        **overrides,
    }
    return dict(lam.create_function(**request))


def settle(lam: Any, name: str = "fn") -> dict[str, Any]:
    lam.get_function_configuration(FunctionName=name)
    return dict(lam.get_function_configuration(FunctionName=name))


def public_url(lam: Any, name: str = "fn") -> str:
    url = str(lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"])
    common = {"FunctionName": name, "Principal": "*"}
    lam.add_permission(StatementId="url", Action="lambda:InvokeFunctionUrl", FunctionUrlAuthType="NONE", **common)
    lam.add_permission(StatementId="invoke", Action="lambda:InvokeFunction", InvokedViaFunctionUrl=True, **common)
    return url


@pytest.fixture
def lam(sandbox: Sandbox) -> Any:
    return boto3.client("lambda")


def test_a_new_function_is_pending_until_read_then_active(lam: Any) -> None:
    made = create(lam)
    assert (made["State"], made["StateReasonCode"]) == ("Pending", "Creating")
    assert lam.get_function(FunctionName="fn")["Configuration"]["State"] == "Pending"
    settled = lam.get_function(FunctionName="fn")["Configuration"]
    assert (settled["State"], settled["LastUpdateStatus"]) == ("Active", "Successful")


def test_one_update_at_a_time(lam: Any) -> None:
    create(lam)
    with pytest.raises(ClientError) as pending:
        lam.update_function_configuration(FunctionName="fn", Timeout=10)
    assert pending.value.response["Error"]["Code"] == "ResourceConflictException"
    assert "An update is in progress for resource" in pending.value.response["Error"]["Message"]
    settle(lam)
    updated = lam.update_function_configuration(FunctionName="fn", Timeout=10)
    assert updated["LastUpdateStatus"] == "InProgress"
    with pytest.raises(ClientError) as busy:
        lam.update_function_code(FunctionName="fn", ZipFile=code(2))
    assert busy.value.response["Error"]["Code"] == "ResourceConflictException"
    assert lam.get_function_configuration(FunctionName="fn")["LastUpdateStatus"] == "InProgress"
    assert settle(lam)["Timeout"] == 10


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"Runtime": "python2.6"}, "at 'runtime' failed to satisfy constraint", id="runtime-not-in-enum"),
        pytest.param(
            {"Environment": {"Variables": {"AWS_REGION": "eu-west-1"}}}, "Reserved keys used", id="reserved-key"
        ),
    ],
)
def test_requests_aws_refuses(lam: Any, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ClientError) as refused:
        create(lam, **overrides)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert message in refused.value.response["Error"]["Message"]


def test_the_role_must_trust_lambda(lam: Any) -> None:
    other = {**TRUST, "Statement": [{**TRUST["Statement"][0], "Principal": {"Service": "ec2.amazonaws.com"}}]}
    with pytest.raises(ClientError) as refused:
        create(lam, Role=role("ec2-role", other))
    assert (
        refused.value.response["Error"]["Message"] == "The role defined for the function cannot be assumed by Lambda."
    )


def test_architectures_change_with_the_code(lam: Any) -> None:
    create(lam)
    settle(lam)
    lam.update_function_code(FunctionName="fn", ZipFile=code(2), Architectures=["x86_64"])
    assert settle(lam)["Architectures"] == ["x86_64"]


def test_the_function_url_runs_the_uploaded_zip(lam: Any, sandbox: Sandbox) -> None:
    create(lam)
    settle(lam)
    url = public_url(lam)
    assert re.fullmatch(r"https://[a-z0-9]{32}\.lambda-url\.us-east-1\.on\.aws/", url)
    with url_client(sandbox.url) as http:
        first = http.get(url + "hello?x=1", headers={"Cookie": "a=b"})
        assert first.status_code == 200, first.text
        host = url.removeprefix("https://").rstrip("/")
        assert first.json() == {
            "version": 1,
            "path": "/hello",
            "query": "x=1",
            "cookies": ["a=b"],
            "proto": "https",
            "host": host,
            "region": "us-east-1",
        }
        assert first.headers["set-cookie"] == "seen=1; Secure; HttpOnly"
        lam.update_function_code(FunctionName="fn", ZipFile=code(2))
        settle(lam)
        assert http.get(url).json()["version"] == 2  # new code: a new execution environment


def test_a_url_without_both_public_grants_is_forbidden(lam: Any, sandbox: Sandbox) -> None:
    create(lam)
    settle(lam)
    url = str(lam.create_function_url_config(FunctionName="fn", AuthType="NONE")["FunctionUrl"])
    lam.add_permission(
        FunctionName="fn",
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    with url_client(sandbox.url) as http:
        refused = http.get(url)
    assert (refused.status_code, refused.json()) == (403, {"Message": "Forbidden"})


def test_throttled_unknown_and_failing_functions(lam: Any, sandbox: Sandbox) -> None:
    create(lam, Code={"ZipFile": code(extra="import not_in_the_zip")})
    settle(lam)
    url = public_url(lam)
    with url_client(sandbox.url) as http:
        assert http.get(url).status_code == 502  # init fails: the zip lacks a module
        lam.put_function_concurrency(FunctionName="fn", ReservedConcurrentExecutions=0)
        assert http.get(url).status_code == 429
        assert http.get("https://" + "a" * 32 + ".lambda-url.us-east-1.on.aws/").status_code == 404
