"""Make moto's SSM Parameter Store as strict as AWS where the stack's code depends on it (issue 22: the hosted
callback's configuration and secret parameters).

moto already refuses Tags with Overwrite, names prefixed aws/ssm, and an existing name without Overwrite. Where it
is laxer, AWS and this sandbox (sources: the PutParameter API reference and the Systems Manager user guide):

- **Fully qualified names**: a name in a hierarchy must begin with '/' ("For parameters in a hierarchy, you must
  include a leading forward slash character"): ValidationException. moto takes `a/b`.
- **Depth**: "Parameter hierarchies are limited to a maximum depth of fifteen levels":
  HierarchyLevelLimitExceededException. moto takes any depth.
- **Size by tier**: standard parameters hold at most 4 KB, advanced 8 KB (user guide "Managing parameter tiers");
  a larger value in the standard tier is a ValidationException. moto takes any size in any tier.
- **Intelligent-Tiering** picks the standard tier unless the value needs the advanced one (user guide "Specifying
  a default parameter tier"); moto records the word `Intelligent-Tiering` as the tier.
- **No way back from advanced**: "you can't revert an advanced parameter to a standard parameter"
  (ValidationException); moto does it.
- **Type is fixed**: "Parameter Store doesn't support changing a parameter type in a hierarchy. For example, you
  can't change a parameter from a String type to a SecureString type" (HierarchyTypeMismatchException); moto
  changes it.
- **DescribeParameters gives each parameter's ARN** (botocore's ParameterMetadata has `ARN`); moto leaves it out.

Message texts are UNCONFIRMED where no public error quote was found; the codes and conditions are documented.
"""

from __future__ import annotations

from typing import Any

from moto.ssm import models
from moto.ssm.exceptions import SSMException, ValidationException
from moto.ssm.utils import parameter_arn

STANDARD_MAX = 4096
ADVANCED_MAX = 8192
MAX_DEPTH = 15


class HierarchyLevelLimitExceeded(SSMException):
    def __init__(self) -> None:
        super().__init__(
            "HierarchyLevelLimitExceededException",
            "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and constraints for "
            "parameter names in the AWS Systems Manager User Guide.",
        )


class HierarchyTypeMismatch(SSMException):
    def __init__(self) -> None:
        super().__init__(
            "HierarchyTypeMismatchException",
            "The parameter type can't be changed. You must create a new, unique parameter.",
        )


def install() -> None:
    """Idempotent: the sandbox installs it once per process."""
    backend = models.SimpleSystemManagerBackend
    if getattr(backend, "_sandbox_strict", False):
        return
    backend._sandbox_strict = True  # type: ignore[attr-defined]
    original_put, original_list = backend.put_parameter, backend.describe_parameters
    original_describe = models.Parameter.describe_response_object

    def put_parameter(
        self: Any, name: str, description: str, value: str, parameter_type: str, *args: Any, **kw: Any
    ) -> Any:
        overwrite, tier = args[2], kw.get("tier")
        previous = self._parameters[name][-1] if self._parameters.get(name) else None
        if previous is not None and not overwrite:  # moto answers ParameterAlreadyExists, as AWS does
            return original_put(self, name, description, value, parameter_type, *args, **kw)
        _check_name(name)
        kw["tier"] = _tier(tier, value, previous, self.default_parameter_tier)
        if previous is not None and overwrite and parameter_type and parameter_type != previous.parameter_type:
            raise HierarchyTypeMismatch()
        return original_put(self, name, description, value, parameter_type, *args, **kw)

    def describe_parameters(self: Any, *args: Any) -> Any:
        found = original_list(self, *args)
        for parameter in found:  # the region, for the ARN below (a Parameter does not know it)
            setattr(parameter, "sandbox_region", self.region_name)  # noqa: B010 (an attribute moto does not declare)
        return found

    def describe_response_object(self: Any, decrypt: bool = False, include_labels: bool = False) -> dict[str, Any]:
        answer: dict[str, Any] = original_describe(self, decrypt, include_labels)
        region = getattr(self, "sandbox_region", None)
        if region:
            answer.setdefault("ARN", parameter_arn(self.account_id, region, self.name))
        return answer

    backend.put_parameter = put_parameter  # type: ignore[method-assign]
    backend.describe_parameters = describe_parameters  # type: ignore[method-assign, assignment]
    models.Parameter.describe_response_object = describe_response_object  # type: ignore[method-assign]


def _check_name(name: str) -> None:
    if "/" in name and not name.startswith("/"):
        raise ValidationException(
            "Parameter name must be a fully qualified name: a name in a hierarchy begins with a forward slash (/)."
        )
    if name.startswith("/") and name.count("/") > MAX_DEPTH:
        raise HierarchyLevelLimitExceeded()


def _tier(asked: str | None, value: str | None, previous: Any, default: str) -> str:
    """The tier AWS would store, or the refusal: size limits, Intelligent-Tiering, no way back from Advanced."""
    size = len(value if value is not None else previous.value if previous is not None else "")
    was_advanced = previous is not None and previous.tier == "Advanced"
    tier = asked or (previous.tier if previous is not None else default)
    if tier == "Intelligent-Tiering":
        tier = "Advanced" if was_advanced or size > STANDARD_MAX else "Standard"
    if tier == "Standard" and was_advanced:
        raise ValidationException("An advanced parameter can't be changed to a standard parameter.")
    if tier == "Standard" and size > STANDARD_MAX:
        raise ValidationException(
            f"Standard tier parameters support a maximum parameter value of {STANDARD_MAX} characters. To create a "
            "larger parameter value, upgrade the parameter to use the advanced-parameter tier."
        )
    if size > ADVANCED_MAX:
        raise ValidationException(
            f"Advanced tier parameters support a maximum parameter value of {ADVANCED_MAX} characters."
        )
    return tier
