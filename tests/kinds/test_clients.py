"""reconciler.aws.make_clients: botocore's models are parsed once per process, while every call reads
the endpoint, credentials and region from the environment as it is then (tests change them between
tests). Requests are stopped in botocore's before-send event, so nothing is sent anywhere."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler import aws


class Sent(Exception):
    """Raised by the before-send handler: the request as it would have gone out."""

    def __init__(self, url: str, authorization: str) -> None:
        super().__init__(url)
        self.url, self.authorization = url, authorization


def stop(request: Any, **_: Any) -> None:
    raise Sent(request.url, request.headers["Authorization"].decode())


def sent_by(clients: aws.Clients) -> Sent:
    clients.on("before-send.iam.*", stop)
    with pytest.raises(Sent) as caught:
        clients.iam.list_roles()
    return caught.value


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    return monkeypatch


def test_each_call_reads_the_endpoint_and_credentials_of_the_environment_now(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1111")
    environment.setenv("AWS_ACCESS_KEY_ID", "AKIDFIRST")
    first = sent_by(aws.make_clients())
    environment.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:2222")
    environment.setenv("AWS_ACCESS_KEY_ID", "AKIDSECOND")
    second = sent_by(aws.make_clients())
    assert first.url.startswith("http://127.0.0.1:1111/") and "Credential=AKIDFIRST/" in first.authorization
    assert second.url.startswith("http://127.0.0.1:2222/") and "Credential=AKIDSECOND/" in second.authorization


def test_each_call_reads_the_region_of_the_environment_now(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1111")
    environment.setenv("AWS_ACCESS_KEY_ID", "AKID")
    environment.setenv("AWS_REGION", "eu-west-1")
    assert aws.make_clients().control.meta.region_name == "eu-west-1"
    environment.setenv("AWS_REGION", "us-west-2")
    assert aws.make_clients().control.meta.region_name == "us-west-2"
    assert aws.make_clients(region="ap-south-1").region == "ap-south-1"


def test_service_models_are_loaded_once_per_process(environment: pytest.MonkeyPatch) -> None:
    first, second = aws.botocore_session(), aws.botocore_session()
    assert first is not second
    assert first.get_component("data_loader") is second.get_component("data_loader")
    assert aws.service_model("iam") is not None
    loader = first.get_component("data_loader")
    assert loader.load_service_model("iam", "service-2") is loader.load_service_model("iam", "service-2")


def test_no_region_is_an_error_that_says_how_to_set_one(environment: pytest.MonkeyPatch) -> None:
    environment.delenv("AWS_REGION")
    environment.delenv("AWS_DEFAULT_REGION", raising=False)
    with pytest.raises(RuntimeError, match="no AWS region configured: pass --region, set AWS_REGION"):
        aws.make_clients()
