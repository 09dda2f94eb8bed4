"""The stack lock's SSM parameter: the AWS calls of reconciler.locking, which decides when to take, wait for
and release the lock. Kept with the kinds, the only code that calls AWS."""

from __future__ import annotations

from typing import Any

from reconciler import aws
from reconciler.aws import error_code, ignore_missing


def put_if_absent(ssm: Any, name: str, value: str, *, description: str) -> bool:
    """PutParameter with Overwrite=False, which AWS does only if the parameter does not exist: True if it did."""
    try:
        ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=False, Description=description)
    except aws.ClientError as exc:
        if error_code(exc) == "ParameterAlreadyExists":
            return False
        raise
    return True


def value_of(ssm: Any, name: str) -> str | None:
    with ignore_missing(lambda exc: error_code(exc) == "ParameterNotFound"):
        return str(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    return None


def delete(ssm: Any, name: str) -> None:
    ssm.delete_parameter(Name=name)
