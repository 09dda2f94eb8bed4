"""Make moto's Lambda control plane as strict as AWS where the stack's code depends on it (issue 22).

moto answers CreateFunction with State Active and every read with LastUpdateStatus Successful, takes any
role that exists, any Runtime string, reserved environment keys, and ignores Architectures on
UpdateFunctionCode. AWS, and this sandbox:

- **States** (Lambda developer guide, "Lambda function states"; API reference, FunctionConfiguration): a new
  function is `Pending` (StateReasonCode `Creating`) and becomes `Active`; an update sets LastUpdateStatus
  `InProgress` (reason code `Updating`) until `Successful`. Deterministic, like the sandbox's gateways: the
  first GetFunction/GetFunctionConfiguration sees Pending/InProgress, the next one the settled state.
  Terraform waits the same way (hashicorp/terraform-provider-aws internal/service/lambda/function.go:
  waitFunctionCreated on State, waitFunctionUpdated on LastUpdateStatus).
- **One update at a time**: UpdateFunctionCode, UpdateFunctionConfiguration and CreateFunctionUrlConfig while
  the function is Pending or an update is InProgress fail with ResourceConflictException "The operation cannot
  be performed at this time. An update is in progress for resource: <arn>" (409; the message users of every
  deployment tool quote).
- **The role must trust lambda.amazonaws.com**: else InvalidParameterValueException "The role defined for the
  function cannot be assumed by Lambda." (Terraform retries exactly this while a new role propagates).
- **Runtime** must be a value of botocore's Runtime enum (botocore validates types, not enums);
  **reserved environment keys** (AWS_REGION, AWS_ACCESS_KEY_ID, ..., developer guide "Defined runtime
  environment variables") are refused with InvalidParameterValueException.
- **Architectures** given to UpdateFunctionCode are applied (the only call that changes them).
- **Function URLs** look like AWS's: `https://<32 lower-case letters and digits>.lambda-url.<region>.on.aws/`
  (with the trailing slash GetFunctionUrlConfig returns).

Every settled code or configuration change bumps the function's `sandbox_revision`: the function URL's
execution environments (sandbox.lambda_urls) are keyed by it, so new code runs in a new environment.
"""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import unquote

from botocore.session import get_session
from moto.awslambda import models, responses
from moto.awslambda.exceptions import InvalidParameterValueException, LambdaClientError
from moto.iam.models import iam_backends

SERVICE_PRINCIPAL = "lambda.amazonaws.com"
RESERVED_KEYS = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
"""Developer guide, "Defined runtime environment variables": the reserved keys functions cannot set."""
ROLE_REFUSED = "The role defined for the function cannot be assumed by Lambda."

_installed = threading.Lock()
_done = False


class ResourceConflict(LambdaClientError):
    code = 409

    def __init__(self, arn: str) -> None:
        super().__init__(
            "ResourceConflictException",
            f"The operation cannot be performed at this time. An update is in progress for resource: {arn}",
        )


def runtimes() -> frozenset[str]:
    return frozenset(get_session().get_service_model("lambda").shape_for("Runtime").enum)


def install() -> None:
    global _done
    with _installed:
        if _done:
            return
        _patch_function(models.LambdaFunction)
        _patch_backend(models.LambdaBackend)
        _patch_reads(responses.LambdaResponse)
        _patch_url(models.FunctionUrlConfig)
        _done = True


def busy(function: Any) -> bool:
    return function.state == "Pending" or getattr(function, "sandbox_update", None) == "InProgress"


def _patch_function(cls: Any) -> None:
    init, configuration = cls.__init__, cls.get_configuration

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.state, self.sandbox_update, self.sandbox_seen, self.sandbox_revision = "Pending", None, False, 1

    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        config: dict[str, Any] = configuration(self, on_create=on_create)
        config.pop("LastUpdateStatus", None)
        if self.state == "Pending":
            config.update(StateReason="The function is being created.", StateReasonCode="Creating")
        else:
            config["StateReasonCode"] = "Idle"
            config["LastUpdateStatus"] = self.sandbox_update or "Successful"
        if self.sandbox_update == "InProgress":
            config.update(
                LastUpdateStatusReason="The function is being updated.", LastUpdateStatusReasonCode="Updating"
            )
        return config

    cls.__init__, cls.get_configuration = __init__, get_configuration


def _start_update(function: Any) -> None:
    function.sandbox_update, function.sandbox_seen = "InProgress", False
    function.sandbox_revision += 1


def _refuse_when_busy(function: Any) -> None:
    if busy(function):
        raise ResourceConflict(function.function_arn)


def settle_on_read(function: Any) -> None:
    """Called for every GetFunction/GetFunctionConfiguration before it is answered: the first read sees the
    function Pending/InProgress, the next one settled."""
    if not busy(function):
        return
    if not function.sandbox_seen:
        function.sandbox_seen = True
        return
    function.state, function.sandbox_update, function.sandbox_seen = "Active", None, False


def _patch_backend(cls: Any) -> None:
    create, get, create_url = cls.create_function, cls.get_function, cls.create_function_url_config
    update_code, update_configuration = cls.update_function_code, cls.update_function_configuration

    def create_function(self: Any, spec: dict[str, Any]) -> Any:
        _check_runtime(spec.get("Runtime"))
        _check_environment(spec)
        _check_role(self.account_id, spec.get("Role", ""))
        return create(self, spec)

    def update_function_code(self: Any, name: str, qualifier: str, body: dict[str, Any]) -> Any:
        function = get(self, name, qualifier)
        _refuse_when_busy(function)
        if body.get("DryRun"):
            return update_code(self, name, qualifier, body)
        if body.get("Architectures"):
            function.architectures = list(body["Architectures"])
        _start_update(function)
        return update_code(self, name, qualifier, body)

    def update_function_configuration(self: Any, name: str, qualifier: str, body: dict[str, Any]) -> Any:
        function = get(self, name, qualifier)
        _refuse_when_busy(function)
        _check_environment(body)
        if "Runtime" in body:
            _check_runtime(body["Runtime"])
        if "Role" in body:
            _check_role(self.account_id, body["Role"])
        _start_update(function)
        return update_configuration(self, name, qualifier, body)

    def create_function_url_config(self: Any, name_or_arn: str, config: dict[str, Any]) -> Any:
        _refuse_when_busy(get(self, name_or_arn, None))
        return create_url(self, name_or_arn, config)

    cls.create_function, cls.create_function_url_config = create_function, create_function_url_config
    cls.update_function_code, cls.update_function_configuration = update_function_code, update_function_configuration


def _patch_reads(cls: Any) -> None:
    """GetFunction and GetFunctionConfiguration settle what they read (moto's own code reads through
    backend.get_function too, so the settling is done where a client's read is answered)."""
    for name in ("get_function", "get_function_configuration"):
        original = getattr(cls, name)

        def answer(self: Any, _original: Any = original) -> Any:
            parts = unquote(self.path).rstrip("/").split("/")
            function_name = parts[-1] if parts[-1] != "configuration" else parts[-2]
            try:
                function = self.backend.get_function(function_name, self._get_param("Qualifier", None))
            except LambdaClientError:
                return _original(self)
            settle_on_read(function)
            return _original(self)

        setattr(cls, name, answer)


def _patch_url(cls: Any) -> None:
    init = cls.__init__

    def __init__(self: Any, function: Any, config: dict[str, Any]) -> None:
        init(self, function, config)
        self.url = self.url.rstrip("/") + "/"

    cls.__init__ = __init__


def _check_runtime(runtime: str | None) -> None:
    if runtime is not None and runtime not in runtimes():
        raise InvalidParameterValueException(
            f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set"
        )


def _check_environment(spec: dict[str, Any]) -> None:
    """Reserved keys refused. An empty value is accepted, as AWS does: botocore's EnvironmentVariableValue sets no
    minimum, and a public report deploys one (serverless/serverless#8416, AWS_XRAY_CONTEXT_MISSING: '')."""
    keys = set((spec.get("Environment") or {}).get("Variables") or {})
    reserved = sorted(keys & RESERVED_KEYS)
    if reserved:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment variables you have "
            "provided contains reserved keys that are currently not supported for modification. Reserved keys used "
            f"in this request: {', '.join(reserved)}"
        )


def _check_role(account_id: str, role_arn: str) -> None:
    """The role exists (moto checks that too) and its trust policy lets lambda.amazonaws.com assume it."""
    name = role_arn.rsplit("/", 1)[-1]
    role = next((r for r in iam_backends[account_id]["global"].roles.values() if r.name == name), None)
    if role is None or not _trusts_lambda(role.assume_role_policy_document):
        raise InvalidParameterValueException(ROLE_REFUSED)


def _trusts_lambda(document: Any) -> bool:
    policy = json.loads(document) if isinstance(document, str) else document
    statements = policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        services = (statement.get("Principal") or {}).get("Service", [])
        services = [services] if isinstance(services, str) else services
        if statement.get("Effect") == "Allow" and "sts:AssumeRole" in actions and SERVICE_PRINCIPAL in services:
            return True
    return False
