"""reconciler.spec.yaml_lines gives the same values, lines and refusals with libyaml (the fast path) as with
PyYAML's pure-Python composer (where libyaml is not installed)."""

from __future__ import annotations

import pytest
import yaml

from reconciler.spec.yaml_lines import ALIASES, TOO_DEEP, YamlError, load_with_lines
from tests.conftest import ROOT

TEXTS = [(ROOT / "stack.yaml").read_text(), (ROOT / "openapi" / "github.yaml").read_text()]


@pytest.fixture(params=[True, False], ids=["libyaml", "pure-python"])
def libyaml(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    if request.param and not yaml.__with_libyaml__:
        pytest.skip("PyYAML without libyaml")
    monkeypatch.setattr(yaml, "__with_libyaml__", request.param)
    return bool(request.param)


def test_both_paths_agree_on_the_shipped_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    slow = [load_with_lines(text) for text in TEXTS]
    monkeypatch.setattr(yaml, "__with_libyaml__", True)
    assert [load_with_lines(text) for text in TEXTS] == slow


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        pytest.param("a: &x 1\nb: *x\n", ALIASES, 2, id="alias"),
        pytest.param("a:\n  b: " + "[" * 100 + "]" * 100 + "\n", TOO_DEEP, 2, id="deep"),
        pytest.param("a: 1\nb: !!python/name:os.system x\n", "the YAML tag", 2, id="python-tag"),
        pytest.param("a: 1\na: 2\n", "duplicate key 'a'", 2, id="duplicate"),
        pytest.param("a: [1\n", "", 2, id="syntax"),
    ],
)
def test_refusals_name_their_line(libyaml: bool, text: str, message: str, line: int) -> None:
    with pytest.raises(YamlError) as refused:
        load_with_lines(text)
    assert message in str(refused.value) and refused.value.line == line
