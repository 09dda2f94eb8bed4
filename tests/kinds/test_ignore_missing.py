"""reconciler.aws.ignore_missing: AWS's "it does not exist" is swallowed and remembered; any other error
passes (botocore's Stubber answers; nothing is sent)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from reconciler.aws import ignore_missing
from reconciler.kinds.s3_common import s3_missing


@pytest.fixture
def iam() -> Stubber:
    client = boto3.client("iam", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    return Stubber(client)


def test_not_found_is_swallowed_and_remembered(iam: Stubber) -> None:
    iam.add_client_error("get_role", service_error_code="NoSuchEntity", http_status_code=404)
    with iam, ignore_missing() as missing:
        iam.client.get_role(RoleName="gone")
    assert missing


def test_nothing_missing(iam: Stubber) -> None:
    iam.add_response("get_role", {"Role": ROLE})
    with iam, ignore_missing() as missing:
        iam.client.get_role(RoleName="there")
    assert not missing


@pytest.mark.parametrize("code", ["AccessDenied", "ServiceFailure"])
def test_any_other_error_passes(iam: Stubber, code: str) -> None:
    iam.add_client_error("get_role", service_error_code=code, http_status_code=403)
    with pytest.raises(ClientError, match=code), iam, ignore_missing():
        iam.client.get_role(RoleName="x")


def test_an_error_not_from_aws_passes() -> None:
    with pytest.raises(KeyError), ignore_missing():
        raise KeyError("x")


def test_a_kind_may_say_what_missing_means() -> None:
    s3 = Stubber(boto3.client("s3", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"))
    s3.add_client_error("get_bucket_tagging", service_error_code="NoSuchBucket", http_status_code=404)
    s3.add_client_error("get_bucket_tagging", service_error_code="NoSuchBucket", http_status_code=404)
    with s3:
        with ignore_missing(s3_missing) as missing:
            s3.client.get_bucket_tagging(Bucket="gone")
        assert missing
        with pytest.raises(ClientError, match="NoSuchBucket"), ignore_missing():  # not IAM's or AgentCore's code
            s3.client.get_bucket_tagging(Bucket="gone")


ROLE = {
    "Path": "/",
    "RoleName": "there",
    "RoleId": "AROAEXAMPLEEXAMPLE01",
    "Arn": "arn:aws:iam::123456789012:role/there",
    "CreateDate": "2024-01-01T00:00:00Z",
}
