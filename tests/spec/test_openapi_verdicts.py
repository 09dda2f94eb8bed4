"""openapi-spec-validator's acceptance of a document is remembered (reconciler.spec.openapi_verdicts): a
second check of the same document does not import the validator, a changed or rejected one is validated
again, and our own gateway rules run every time."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from reconciler.spec.openapi_check import check_openapi
from reconciler.spec.openapi_verdicts import cache_dir

ROOT = Path(__file__).resolve().parents[2]


def document(**changes: Any) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "servers": [{"url": "https://api.github.com"}],
        "paths": {"/user": {"get": {"operationId": "getUser", "responses": {"200": {"description": "ok"}}}}},
        **changes,
    }


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return cache_dir()


def without_validator(monkeypatch: pytest.MonkeyPatch) -> None:
    """`import openapi_spec_validator` now fails: whatever still checks cannot have used it."""
    monkeypatch.setitem(sys.modules, "openapi_spec_validator", None)


def test_an_accepted_document_is_not_validated_again(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_openapi(document(), {}, "api.yaml") == []
    assert len(list(cache.iterdir())) == 1
    without_validator(monkeypatch)
    assert check_openapi(document(), {}, "api.yaml") == []


def test_a_changed_document_is_validated_again(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_openapi(document(), {}, "api.yaml") == []
    without_validator(monkeypatch)
    with pytest.raises(ImportError):
        check_openapi(document(info={"title": "other", "version": "1"}), {}, "api.yaml")


def test_a_rejected_document_is_not_remembered(cache: Path) -> None:
    bad = document(paths={"/user": {"get": {"operationId": "getUser"}}})  # no responses
    for _ in range(2):
        problems = check_openapi(bad, {}, "api.yaml")
        assert [p.summary for p in problems if p.summary.startswith("invalid OpenAPI")], problems
    assert not cache.exists() or not list(cache.iterdir())


def test_the_gateway_rules_run_for_an_accepted_document(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain_http = document(servers=[{"url": "http://api.github.com"}])
    assert [p.summary for p in check_openapi(plain_http, {}, "api.yaml")] == [
        "the gateway needs a real https server URL"
    ]
    without_validator(monkeypatch)
    assert [p.summary for p in check_openapi(plain_http, {}, "api.yaml")] == [
        "the gateway needs a real https server URL"
    ]
