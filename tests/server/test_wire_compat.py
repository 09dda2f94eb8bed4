"""The server answers on the wire exactly as the server before the performance work did (issue 15):
status, content type and JSON body of every case in wire_cases.py, against wire_fixture.json, which
was recorded from that server (`uv run python -m tests.server.wire_cases` re-records it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.wire_cases import CASES, FIXTURE, Case, exchange, serving_both


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[bool, str]]:
    with serving_both(Path(tmp_path_factory.mktemp("wire"))) as bases:
        yield bases


@pytest.fixture(scope="module")
def recorded() -> dict[str, object]:
    return dict(json.loads(FIXTURE.read_text()))


def test_the_fixture_covers_every_case(recorded: dict[str, object]) -> None:
    assert set(recorded) == {case.name for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_same_answer_as_before(case: Case, bases: dict[bool, str], recorded: dict[str, object]) -> None:
    assert exchange(bases[case.stateful], case) == recorded[case.name]
