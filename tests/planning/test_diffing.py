"""reconciler.diffing: equal documents (same values and types all the way down) take the fast path and show no
change; a value equal in Python but of another type is still a change, as DeepDiff reports it."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.diffing import diff_documents

POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]}


def test_equal_documents_have_no_change() -> None:
    assert diff_documents({"policy": POLICY, "n": 1}, {"policy": dict(POLICY), "n": 1}) == ()


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(1, 1.0, id="int-float"),
        pytest.param(True, 1, id="bool-int"),
        pytest.param({"a": 0}, {"a": False}, id="in-a-map"),
    ],
)
def test_equal_in_python_but_another_type_is_a_change(before: Any, after: Any) -> None:
    (change,) = diff_documents({"field": before}, {"field": after})
    assert change.report == "type_changes"


def test_a_statement_moved_is_no_change_and_one_changed_is() -> None:
    """Lists of objects compare as multisets (the module docstring): the fast path only skips equal ones."""
    other = {"Effect": "Deny", "Action": ["s3:PutObject"], "Resource": "*"}
    before = {"Statement": [POLICY["Statement"][0], other]}
    assert diff_documents(before, {"Statement": [other, POLICY["Statement"][0]]}) == ()
    assert diff_documents(before, {"Statement": [other, {**other, "Effect": "Allow"}]}) != ()
