"""The shapes the acceptance suite records (keys and types, no values) and the report comparing two endpoints."""

from __future__ import annotations

from tests.acceptance.shapes import fidelity_report, paths


def test_a_shape_has_keys_and_types_and_no_values() -> None:
    answer = {
        "items": [{"gatewayId": "abc", "status": "READY"}],
        "tags": {"reconcile:stack": "secret-looking-value"},
        "ResponseMetadata": {"RequestId": "x"},
    }
    assert sorted(paths(answer)) == ["items: list", "items[].gatewayId: str", "items[].status: str", "tags{}: str"]


def test_the_report_names_what_only_one_side_returned() -> None:
    aws = {"control:GetGateway": ["status: str", "gatewayUrl: str"], "iam:GetRole": ["Role.Arn: str"]}
    sandbox = {"control:GetGateway": ["status: str", "extra: int"], "s3:HeadBucket": []}
    report = fidelity_report(aws, sandbox)
    assert "  - AWS only: `gatewayUrl: str`" in report
    assert "  - sandbox only: `extra: int`" in report
    assert "- `iam:GetRole`: called only against AWS" in report
    assert "- `s3:HeadBucket`: called only against the sandbox" in report
    assert fidelity_report(aws, aws).endswith("Every operation answered with the same shape.\n")
