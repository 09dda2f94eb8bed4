"""The hosted callback's kinds against the sandbox's strict Lambda (issue 22): create waits for Active, new code
is an update that waits for Successful, the URL's two public grants, drift, destroy."""

from __future__ import annotations

import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from demo.function_urls import client as url_client
from reconciler.aws import make_clients
from reconciler.kinds.base import Context
from reconciler.kinds.function_url import FunctionUrl
from reconciler.kinds.lambda_function import LambdaFunction
from sandbox.server import Sandbox
from tests.conftest import FAST, reconcile

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
NAME = "github-mcp-callback"


def upload(version: int) -> dict[str, str]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "app.py", f"def handler(event, context):\n    return {{'statusCode': 200, 'body': 'v{version}'}}\n"
        )
    data, key = buffer.getvalue(), f"code/{version}.zip"
    boto3.client("s3").put_object(Bucket="code", Key=key, Body=data)
    return {"bucket": "code", "key": key, "sha256": hashlib.sha256(data).hexdigest()}


@pytest.fixture
def ctx(sandbox: Sandbox) -> Context:
    boto3.client("s3").create_bucket(Bucket="code")
    boto3.client("iam").create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    return Context.configured(clients=make_clients(), stack="github-mcp", progress=lambda _m: None, settings=FAST)


def spec(code: dict[str, str], **overrides: Any) -> dict[str, Any]:
    role = "arn:aws:iam::123456789012:role/fn-role"
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return {"role_arn": role, "code": code, "runtime": version, "handler": "app.handler", **overrides}


def test_function_and_url_lifecycle(ctx: Context, sandbox: Sandbox) -> None:
    function, url = LambdaFunction(), FunctionUrl()
    first = spec(upload(1))
    live = function.create(ctx, NAME, first)
    assert live.owned and live.status == "Active"
    assert function.read(ctx, NAME, first).document == function.desired(NAME, first, stack="github-mcp")  # type: ignore[union-attr]
    made = url.create(ctx, "callback-url", {"function": NAME})
    assert made.document["public"] and made.outputs["url"].endswith(".on.aws/")
    with url_client(sandbox.url) as http:
        assert http.get(made.outputs["url"]).text == "v1"
        second = spec(upload(2), timeout=20, reserved_concurrency=5)
        updated = function.update(ctx, live, second)
        assert updated.document == function.desired(NAME, second, stack="github-mcp")
        assert http.get(made.outputs["url"]).text == "v2"
    boto3.client("lambda").remove_permission(FunctionName=NAME, StatementId="FunctionURLAllowInvokeAction")
    drifted = url.read(ctx, "callback-url", {"function": NAME})
    assert drifted is not None and not drifted.document["public"]  # drift: a plan shows it, apply grants again
    url.update(ctx, drifted, {"function": NAME})
    assert url.read(ctx, "callback-url", {"function": NAME}).document["public"]  # type: ignore[union-attr]
    url.delete(ctx, made)
    function.delete(ctx, updated)
    assert function.read(ctx, NAME, second) is None


STACK = """stack: github-mcp
resources:
  callback:
    kind: lambda_function
    name: github-mcp-callback
    role_arn: arn:aws:iam::123456789012:role/fn-role
    code: {{bucket: code, key: "{key}", sha256: "{sha256}"}}
    runtime: {runtime}
    handler: app.handler
"""
URL = """
  {logical}:
    kind: function_url
    function: ${{callback.{attribute}}}
"""


def _changes() -> dict[str, str]:
    planned = reconcile("plan", "--json")
    assert planned.exit_code in (0, 2), planned.output
    return {c["address"]: c["action"] for c in json.loads(planned.stdout)["resource_changes"]}


def test_a_url_removed_from_the_stack_is_found_and_deleted(
    ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS gives a URL no name: the function's applied tag of the removed resource's name is how it is found. The
    declared URL is never taken for a removed one, whether the stack names its function by ARN or the resource was
    renamed; and once reconcile has deleted its URL, a URL added by hand is left alone."""
    code, lam = upload(1), boto3.client("lambda")
    stack = STACK.format(key=code["key"], sha256=code["sha256"], runtime=spec(code)["runtime"])
    (tmp_path / "stack.yaml").write_text(stack + URL.format(logical="callback_url", attribute="name"))
    monkeypatch.chdir(tmp_path)
    assert reconcile("apply", "--auto-approve").exit_code == 0
    lam.get_function_url_config(FunctionName=NAME)
    assert set(_changes().values()) == {"no-op"}
    (tmp_path / "stack.yaml").write_text(stack + URL.format(logical="callback_url", attribute="arn"))
    assert set(_changes().values()) == {"no-op"}  # the function by its ARN: the same URL
    (tmp_path / "stack.yaml").write_text(stack + URL.format(logical="public_url", attribute="name"))
    assert "delete" not in _changes().values()  # renamed: the tag of the old name finds the declared URL itself
    (tmp_path / "stack.yaml").write_text(stack)
    assert _changes() == {"function_url.removed.github-mcp-callback-url": "delete", "lambda_function.callback": "no-op"}
    assert reconcile("apply", "--auto-approve").exit_code == 0
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_url_config(FunctionName=NAME)
    assert lam.get_function(FunctionName=NAME)["Configuration"]["State"] == "Active"
    assert reconcile("plan", "--detailed-exitcode").exit_code == 0
    lam.create_function_url_config(FunctionName=NAME, AuthType="AWS_IAM")  # someone's own, by hand
    assert set(_changes().values()) == {"no-op"}
    assert reconcile("apply", "--auto-approve").exit_code == 0
    assert lam.get_function_url_config(FunctionName=NAME)["AuthType"] == "AWS_IAM"  # still there
