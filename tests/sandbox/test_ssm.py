"""The sandbox's Parameter Store as strict as AWS where the stack depends on it (sandbox/ssm_rules.py)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sandbox.server import Sandbox


@pytest.fixture
def ssm(sandbox: Sandbox) -> Any:
    return boto3.client("ssm")


def code_of(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


@pytest.mark.parametrize(
    ("name", "code"),
    [
        pytest.param("stack/config", "ValidationException", id="hierarchy-without-leading-slash"),
        pytest.param("/" + "/".join("abcdefghijklmnop"), "HierarchyLevelLimitExceededException", id="sixteen-levels"),
        pytest.param("/ssm/x", "ValidationException", id="reserved-prefix"),
    ],
)
def test_names_aws_refuses(ssm: Any, name: str, code: str) -> None:
    assert code_of(lambda: ssm.put_parameter(Name=name, Value="v", Type="String")) == code


def test_fifteen_levels_are_fine(ssm: Any) -> None:
    ssm.put_parameter(Name="/" + "/".join("abcdefghijklmno"), Value="v", Type="String")


def test_tiers_hold_what_aws_holds(ssm: Any) -> None:
    big = "x" * 5000
    assert code_of(lambda: ssm.put_parameter(Name="/s/big", Value=big, Type="String")) == "ValidationException"
    assert ssm.put_parameter(Name="/s/big", Value=big, Type="String", Tier="Intelligent-Tiering")["Tier"] == "Advanced"
    small = ssm.put_parameter(Name="/s/small", Value="x", Type="String", Tier="Intelligent-Tiering")
    assert small["Tier"] == "Standard"
    assert code_of(lambda: ssm.put_parameter(Name="/s/huge", Value="x" * 9000, Type="String", Tier="Advanced")) == (
        "ValidationException"
    )
    back = ssm.put_parameter(Name="/s/big", Value="x", Type="String", Overwrite=True, Tier="Intelligent-Tiering")
    assert back["Tier"] == "Advanced"  # never back to standard
    refused = lambda: ssm.put_parameter(Name="/s/big", Value="x", Type="String", Overwrite=True, Tier="Standard")  # noqa: E731
    assert code_of(refused) == "ValidationException"


def test_the_type_of_a_parameter_is_fixed(ssm: Any) -> None:
    ssm.put_parameter(Name="/s/secret", Value="plain", Type="String")
    change = lambda: ssm.put_parameter(Name="/s/secret", Value="hidden", Type="SecureString", Overwrite=True)  # noqa: E731
    assert code_of(change) == "HierarchyTypeMismatchException"


def test_describe_gives_the_arn(ssm: Any) -> None:
    ssm.put_parameter(Name="/s/one", Value="v", Type="SecureString")
    found = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": ["/s/one"]}])
    assert found["Parameters"][0]["ARN"] == "arn:aws:ssm:us-east-1:123456789012:parameter/s/one"
    assert "Value" not in found["Parameters"][0]
