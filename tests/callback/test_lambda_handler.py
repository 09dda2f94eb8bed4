"""callback/lambda_handler.py against the sandbox's Parameter Store and DynamoDB: the app behind mangum, its
configuration and secret read from SSM in one call, 503 until both exist, a warm environment that reloads only
when a version changed and only after its recheck interval (a clock given by the test: nothing timed)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from callback.lambda_handler import HostedCallback, Parameters
from sandbox.server import Sandbox

CONFIG, SECRET = "/github-mcp/callback-config", "/github-mcp/callback-secret"
HOST = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws"


def event(path: str) -> dict[str, Any]:
    """A function URL's event (payload format 2.0) for a GET, as AWS sends it."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": HOST, "x-forwarded-proto": "https", "x-forwarded-port": "443"},
        "requestContext": {
            "domainName": HOST,
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": "r-1",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def configuration(stack: str = "github-mcp") -> str:
    return json.dumps(
        {
            "format_version": 1,
            "stack": stack,
            "region": "us-east-1",
            "callback_url": f"https://{HOST}/oauth/callback",
            "session_table": "github-mcp-sessions",
        }
    )


@pytest.fixture
def hosted(sandbox: Sandbox) -> tuple[HostedCallback, Clock]:
    boto3.client("dynamodb").create_table(
        TableName="github-mcp-sessions",
        AttributeDefinitions=[{"AttributeName": "session_uri", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "session_uri", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    clock = Clock()
    return HostedCallback(boto3.client("ssm"), Parameters(CONFIG, SECRET), recheck=60, clock=clock), clock


def test_unconfigured_until_both_parameters_exist(hosted: tuple[HostedCallback, Clock]) -> None:
    callback, _ = hosted
    assert callback(event("/healthz"), None)["statusCode"] == 503
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name=CONFIG, Value=configuration(), Type="String")
    assert callback(event("/healthz"), None)["statusCode"] == 503  # tried again at once: no secret yet
    ssm.put_parameter(Name=SECRET, Value="s" * 43, Type="SecureString")
    answer = callback(event("/"), None)
    assert answer["statusCode"] == 200 and "github-mcp" in answer["body"]
    assert answer["headers"]["x-frame-options"] == "DENY"


def test_a_plain_string_secret_is_refused(hosted: tuple[HostedCallback, Clock]) -> None:
    callback, _ = hosted
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name=CONFIG, Value=configuration(), Type="String")
    ssm.put_parameter(Name=SECRET, Value="s" * 43, Type="String")
    assert callback(event("/healthz"), None)["statusCode"] == 503


def test_a_warm_environment_reloads_a_new_version_after_its_recheck_interval(
    hosted: tuple[HostedCallback, Clock],
) -> None:
    callback, clock = hosted
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name=CONFIG, Value=configuration("first"), Type="String")
    ssm.put_parameter(Name=SECRET, Value="s" * 43, Type="SecureString")
    assert "first" in callback(event("/"), None)["body"]
    ssm.put_parameter(Name=CONFIG, Value=configuration("second"), Type="String", Overwrite=True)
    clock.now += 59
    assert "first" in callback(event("/"), None)["body"]
    clock.now += 2
    assert "second" in callback(event("/"), None)["body"]
    assert callback.loaded is not None and callback.loaded.versions == (2, 1)
    ssm.put_parameter(Name=SECRET, Value="t" * 43, Type="SecureString", Overwrite=True)
    clock.now += 61
    callback(event("/healthz"), None)
    assert callback.loaded.versions == (2, 2)
