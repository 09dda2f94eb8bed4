"""An AWS Lambda function with its code from a code artifact (issue 22: the OAuth callback hosted by the stack).

The reference for what forces a replace is Terraform's aws_lambda_function (hashicorp/terraform-provider-aws
internal/service/lambda/function.go): only `function_name` and `package_type` are ForceNew. So new code is
UpdateFunctionCode (compared by the zip's SHA-256, which GetFunction returns as CodeSha256) and every setting
here is UpdateFunctionConfiguration or Put/DeleteFunctionConcurrency; the package type is always Zip.
Omitted fields keep their values on Lambda's updates (unlike AgentCore's), so nothing is carried over.

Waits, as Terraform's: after CreateFunction, State Pending -> Active (Failed stops with StateReason); after
each update LastUpdateStatus InProgress -> Successful (Failed stops with LastUpdateStatusReason): Lambda
refuses a second update while one is in progress (ResourceConflictException). While a new execution role
propagates, CreateFunction answers InvalidParameterValueException "The role defined for the function cannot be
assumed by Lambda." (retried, as Terraform does). Ownership: the function's tags.
"""

from __future__ import annotations

import base64
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from reconciler import aws
from reconciler.aws import error_code, error_message, ignore_missing, service_model
from reconciler.kinds.base import Context, Kind, ResourceSpec, backoff_delays, deadline
from reconciler.kinds.waiting import wait_for_status
from reconciler.live import OWNER_TAG, Live

ACTIVE = frozenset({"Active"})
SUCCESSFUL = frozenset({"Successful"})
FAILED = frozenset({"Failed"})
"""botocore's lambda State and LastUpdateStatus enums share the value Failed."""
ROLE_NOT_YET = "cannot be assumed by Lambda"


class FunctionCode(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bucket: str
    key: str
    sha256: str
    """The zip's SHA-256 (hex), the code artifact's `sha256`: what tells new code from old."""


class LambdaFunctionSpec(ResourceSpec):
    kind: Literal["lambda_function"]
    description: str = ""
    role_arn: str
    code: FunctionCode
    runtime: str
    handler: str
    architecture: Literal["arm64", "x86_64"] = "arm64"
    memory_size: int = 256
    timeout: int = 10
    """Seconds. A consent page answers in well under a second; the cap bounds a stuck AWS call."""
    reserved_concurrency: int | None = 10
    """Caps what one page can cost under a flood of requests; None leaves the account's pool."""
    environment: dict[str, str] = {}

    @field_validator("runtime")
    @classmethod
    def _known_runtime(cls, value: str) -> str:
        if "${" not in value and value not in (service_model("lambda").shape_for("Runtime").enum or ()):
            raise ValueError(f"{value!r} is not a Lambda runtime (botocore's Runtime enum), e.g. python3.12")
        return value


class LambdaFunction(Kind):
    kind = "lambda_function"
    spec_model = LambdaFunctionSpec
    statuses = {("lambda", "State"): ACTIVE | FAILED, ("lambda", "LastUpdateStatus"): SUCCESSFUL | FAILED}
    discovery_group = "callback"
    attributes = frozenset({"arn", "name"})
    name_pattern = r"[a-zA-Z0-9_-]{1,64}"
    name_hint = "up to 64 letters, digits, - or _"

    def desired(self, name: str, spec: dict[str, Any], *, stack: str, current: Live | None = None) -> dict[str, Any]:
        return {
            "description": spec.get("description", ""),
            "role_arn": spec["role_arn"],
            "code_sha256": spec["code"]["sha256"],
            "runtime": spec["runtime"],
            "handler": spec["handler"],
            "architecture": spec.get("architecture", "arm64"),
            "memory_size": spec.get("memory_size", 256),
            "timeout": spec.get("timeout", 10),
            "reserved_concurrency": spec.get("reserved_concurrency", 10),
            "environment": dict(spec.get("environment") or {}),
        }

    def read(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live | None:
        with ignore_missing() as missing:
            found = ctx.clients.lambda_.get_function(FunctionName=name)
        return None if missing else self._live(ctx, found)

    def discover(self, ctx: Context, parents: dict[str, Live]) -> list[tuple[str, dict[str, Any]]]:
        return [(f["FunctionName"], {}) for f in self._list(ctx) if f["FunctionName"].startswith(f"{ctx.stack}-")]

    def create(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live:
        doc, code = self.desired(name, spec, stack=ctx.stack), spec["code"]
        request = {
            **self._configuration(doc),
            "FunctionName": name,
            "Code": {"S3Bucket": code["bucket"], "S3Key": code["key"]},
            "PackageType": "Zip",
            "Architectures": [doc["architecture"]],
            "Tags": ctx.owner_tags,
        }
        _retry_role_propagation(ctx, name, lambda: ctx.clients.lambda_.create_function(**request))
        self._wait(ctx, name, key="State")
        self._concurrency(ctx, name, doc["reserved_concurrency"])
        return self._read_back(ctx, name)

    def update(self, ctx: Context, live: Live, spec: dict[str, Any]) -> Live:
        doc, code, client = self.desired(live.name, spec, stack=ctx.stack), spec["code"], ctx.clients.lambda_
        configuration = self._configuration(doc)
        if {k: live.document.get(k) for k in _CONFIGURATION} != {k: doc[k] for k in _CONFIGURATION}:
            _retry_role_propagation(
                ctx, live.name, lambda: client.update_function_configuration(FunctionName=live.name, **configuration)
            )
            self._wait(ctx, live.name, key="LastUpdateStatus")
        if (live.document["code_sha256"], live.document["architecture"]) != (doc["code_sha256"], doc["architecture"]):
            client.update_function_code(
                FunctionName=live.name, S3Bucket=code["bucket"], S3Key=code["key"], Architectures=[doc["architecture"]]
            )
            self._wait(ctx, live.name, key="LastUpdateStatus")
        if live.document["reserved_concurrency"] != doc["reserved_concurrency"]:
            self._concurrency(ctx, live.name, doc["reserved_concurrency"])
        return self._read_back(ctx, live.name)

    def delete(self, ctx: Context, live: Live) -> None:
        with ignore_missing():
            ctx.clients.lambda_.delete_function(FunctionName=live.name)

    def owners(self, ctx: Context) -> list[tuple[str, str]]:
        client = ctx.clients.lambda_
        found = [
            (client.list_tags(Resource=f["FunctionArn"])["Tags"].get(OWNER_TAG), f["FunctionName"])
            for f in self._list(ctx)
        ]
        return [(stack, name) for stack, name in found if stack]

    def tag(self, ctx: Context, live: Live, tags: dict[str, str]) -> None:
        ctx.clients.lambda_.tag_resource(Resource=live.outputs["arn"], Tags=tags)

    def _list(self, ctx: Context) -> list[dict[str, Any]]:
        def fetch() -> list[dict[str, Any]]:
            pages = ctx.clients.lambda_.get_paginator("list_functions").paginate()
            return [f for page in pages for f in page["Functions"]]

        found: list[dict[str, Any]] = ctx.memo(("list_functions",), fetch)
        return found

    def _configuration(self, doc: dict[str, Any]) -> dict[str, Any]:
        return {
            "Role": doc["role_arn"],
            "Runtime": doc["runtime"],
            "Handler": doc["handler"],
            "Description": doc["description"],
            "MemorySize": doc["memory_size"],
            "Timeout": doc["timeout"],
            "Environment": {"Variables": doc["environment"]},
        }

    def _concurrency(self, ctx: Context, name: str, reserved: int | None) -> None:
        if reserved is None:
            ctx.clients.lambda_.delete_function_concurrency(FunctionName=name)
        else:
            ctx.clients.lambda_.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved)

    def _wait(self, ctx: Context, name: str, *, key: Literal["State", "LastUpdateStatus"]) -> None:
        def describe() -> dict[str, Any]:
            config = ctx.clients.lambda_.get_function_configuration(FunctionName=name)
            reason = config.get("StateReason" if key == "State" else "LastUpdateStatusReason")
            return {"status": config.get(key), "failureReason": reason}

        label = f"lambda function {name}"
        if key == "State":
            wait_for_status(ctx, label=label, describe=describe, done=ACTIVE, failed=FAILED, after="create")
        else:
            wait_for_status(ctx, label=label, describe=describe, done=SUCCESSFUL, failed=FAILED)

    def _read_back(self, ctx: Context, name: str) -> Live:
        return self._live(ctx, ctx.clients.lambda_.get_function(FunctionName=name))

    def _live(self, ctx: Context, found: dict[str, Any]) -> Live:
        config, tags = found["Configuration"], dict(found.get("Tags") or {})
        reserved = (found.get("Concurrency") or {}).get("ReservedConcurrentExecutions")
        return Live(
            name=config["FunctionName"],
            owned=tags.get(OWNER_TAG) == ctx.stack,
            document={
                "description": config.get("Description", ""),
                "role_arn": config["Role"],
                "code_sha256": base64.b64decode(config.get("CodeSha256", "")).hex(),
                "runtime": config.get("Runtime"),
                "handler": config.get("Handler"),
                "architecture": (config.get("Architectures") or ["x86_64"])[0],
                "memory_size": config.get("MemorySize"),
                "timeout": config.get("Timeout"),
                "reserved_concurrency": reserved,
                "environment": dict((config.get("Environment") or {}).get("Variables") or {}),
            },
            outputs={"id": config["FunctionArn"], "arn": config["FunctionArn"], "name": config["FunctionName"]},
            status=config.get("State"),
            tags=tags,
        )


_CONFIGURATION = ("description", "role_arn", "runtime", "handler", "memory_size", "timeout", "environment")
"""The compared fields UpdateFunctionConfiguration sets."""


def _retry_role_propagation(ctx: Context, name: str, call: Any) -> Any:
    next_delay, expired = backoff_delays(ctx), deadline(ctx.propagation_timeout)
    while True:
        try:
            return call()
        except aws.ClientError as exc:
            waiting = error_code(exc) == "InvalidParameterValueException" and ROLE_NOT_YET in error_message(exc)
            if not waiting or expired():
                raise
            ctx.progress(f"lambda function {name}: waiting for IAM to propagate ({error_message(exc)})")
            time.sleep(next_delay())
