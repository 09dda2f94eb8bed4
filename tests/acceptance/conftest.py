"""Where the acceptance suite runs: the sandbox always; a real AWS account only when asked, never by accident.

    uv run pytest -n0 tests/acceptance                                   # the sandbox (CI does this)
    ACCEPTANCE_AWS=1 AWS_PROFILE=dev AWS_REGION=us-east-1 uv run pytest -n0 tests/acceptance

With ACCEPTANCE_AWS=1 the suite runs twice, against AWS and then against the sandbox, records the shape of
every answer the reconciler got (tests/acceptance/shapes.py), and writes acceptance-report/ (or
$ACCEPTANCE_REPORT_DIR): aws.json, sandbox.json and fidelity.md. The opt-in needs credentials from boto3's
usual chain and refuses AWS_ENDPOINT_URL (that would be some other endpoint dressed as AWS). Without it, the
repository's guarantee holds: no connection leaves loopback and no AWS credential of the environment is used
(tests/conftest.py `loopback_only`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler import aws
from tests.acceptance.shapes import ShapeRecorder, fidelity_report
from tests.conftest import loopback_only

OPT_IN = "ACCEPTANCE_AWS"
RECORDED: dict[str, ShapeRecorder] = {}


def targets() -> list[str]:
    if os.environ.get(OPT_IN) != "1":
        return ["sandbox"]
    if os.environ.get("AWS_ENDPOINT_URL"):
        raise pytest.UsageError(f"{OPT_IN}=1 runs against AWS itself: unset AWS_ENDPOINT_URL")
    return ["aws", "sandbox"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        metafunc.parametrize("target", targets())


@pytest.fixture(autouse=True)
def no_network(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """tests/conftest.py's guard, lifted only for the opted-in run's AWS target."""
    if getattr(request.node, "callspec", None) and request.node.callspec.params.get("target") == "aws":
        return
    loopback_only(monkeypatch)


@pytest.fixture
def endpoint(target: str, request: pytest.FixtureRequest) -> str:
    """The environment pointed at the target: the sandbox (clean account), or AWS as boto3 finds it."""
    if target == "sandbox":
        request.getfixturevalue("sandbox")
        return "sandbox"
    import boto3

    session = boto3.Session()
    if session.get_credentials() is None or not (os.environ.get("AWS_REGION") or session.region_name):
        pytest.fail(f"{OPT_IN}=1 needs AWS credentials and a region (AWS_PROFILE/AWS_REGION or boto3's chain)")
    return "aws"


@pytest.fixture
def recorder(target: str, monkeypatch: pytest.MonkeyPatch) -> ShapeRecorder:
    """Every botocore session the reconciler makes reports each answer's shape here."""
    found = RECORDED.setdefault(target, ShapeRecorder())
    original = aws.botocore_session

    def recording(profile: str | None = None) -> object:
        session = original(profile)
        session.register("after-call", found)
        return session

    monkeypatch.setattr(aws, "botocore_session", recording)
    return found


@pytest.fixture(scope="session", autouse=True)
def fidelity_files() -> Iterator[None]:
    """After an opted-in run: both sides' shapes and the report comparing them."""
    yield
    if {"aws", "sandbox"} <= set(RECORDED):
        folder = Path(os.environ.get("ACCEPTANCE_REPORT_DIR", "acceptance-report"))
        folder.mkdir(parents=True, exist_ok=True)
        shapes = {target: RECORDED[target].as_json() for target in ("aws", "sandbox")}
        for target, found in shapes.items():
            (folder / f"{target}.json").write_text(json.dumps(found, indent=2) + "\n")
        (folder / "fidelity.md").write_text(fidelity_report(shapes["aws"], shapes["sandbox"]))
