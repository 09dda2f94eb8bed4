"""`${env:NAME:-default}` whose default holds `${resource.attribute}` references: the shipped stack's
`callback_url` is the hosted callback's function URL unless CALLBACK_URL says otherwise. The references stay in
the value and order the apply like any other; anything else nested is an error at its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.spec.interpolation import InterpolationError, references_in, substitute_load_time
from reconciler.stack import load_stack
from tests.conftest import STACK_ENV, edit_stack, reconcile

HOSTED = "${env:CALLBACK_URL:-${callback_link.url}oauth/callback}"


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in STACK_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("CALLBACK_URL", raising=False)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param({}, "${callback_link.url}oauth/callback", id="unset-the-reference-stays"),
        pytest.param({"CALLBACK_URL": ""}, "${callback_link.url}oauth/callback", id="empty-the-reference-stays"),
        pytest.param(
            {"CALLBACK_URL": "https://cb.example/oauth/callback"}, "https://cb.example/oauth/callback", id="set"
        ),
    ],
)
def test_a_default_may_hold_references(environ: dict[str, str], expected: str) -> None:
    assert substitute_load_time(f"[{HOSTED}]", {}, environ) == f"[{expected}]"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("${env:A:-${var.b}}", id="variable"),
        pytest.param("${env:A:-${env:B}}", id="environment"),
        pytest.param("${env:A:-${link.url}", id="unclosed"),
        pytest.param("${env:A:-${${link.url}}}", id="deeper"),
    ],
)
def test_nothing_else_nests_whether_or_not_the_variable_is_set(value: str) -> None:
    for environ in ({}, {"A": "set"}):
        with pytest.raises(InterpolationError, match="may hold only"):
            substitute_load_time(value, {"b": "x"}, environ)


def test_plain_expressions_read_as_before() -> None:
    assert substitute_load_time("${env:A:-a{b}c}", {}, {}) == "a{bc}"  # '{' in a default, '}' closes it
    assert substitute_load_time("${x.id}/${env:A:-d}", {}, {}) == "${x.id}/d"
    assert references_in("${x.id}${y.arn}") and len(references_in("${x.id}${y.arn}")) == 2


def test_the_hosted_callback_orders_the_apply(workdir: Path) -> None:
    """function -> URL -> gateway (its return URL) -> target -> the callback's configuration: no cycle."""
    stack = load_stack(workdir / "stack.yaml", build=False)
    gateway = stack.resources["gateway"]
    assert gateway.spec["allowed_return_urls"] == ["${callback_link.url}oauth/callback"]
    assert "callback_link" in gateway.depends_on and "callback" in stack.resources["callback_link"].depends_on
    order = stack.order()
    steps = ["callback", "callback_link", "gateway", "github_target", "callback_config"]
    assert [order.index(step) for step in steps] == sorted(order.index(step) for step in steps)


def test_callback_url_set_drops_the_dependency(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLBACK_URL", "https://consent.example.com/oauth/callback")
    stack = load_stack(workdir / "stack.yaml", build=False)
    assert stack.resources["gateway"].spec["allowed_return_urls"] == ["https://consent.example.com/oauth/callback"]
    assert "callback_link" not in stack.resources["gateway"].depends_on


def _line(workdir: Path, needle: str) -> int:
    return next(i for i, text in enumerate((workdir / "stack.yaml").read_text().splitlines(), 1) if needle in text)


def test_a_nested_variable_is_an_error_at_its_line(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLBACK_URL", "https://consent.example.com/oauth/callback")  # checked even when set
    edit_stack(workdir, HOSTED, "${env:CALLBACK_URL:-${var.other}oauth/callback}")
    result = reconcile("validate")
    assert result.exit_code == 1 and "Traceback" not in result.output
    line = _line(workdir, "callback_url: ${env:CALLBACK_URL")
    assert f"stack.yaml:{line} (key variables.callback_url)" in result.output, result.output
    assert "may hold only ${resource.attribute} references" in result.output


def test_a_dangling_reference_in_a_default_is_an_error(workdir: Path) -> None:
    edit_stack(workdir, HOSTED, "${env:CALLBACK_URL:-${callback_lnk.url}oauth/callback}")
    result = reconcile("validate")
    assert result.exit_code == 1
    assert "${callback_lnk.url} names no resource" in result.output
    assert f"stack.yaml:{_line(workdir, 'default_return_url:')}" in result.output, result.output
