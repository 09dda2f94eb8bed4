"""The hand-off as the programs read it (handoff/config.py) against hostile input: too deep or too large, in
MCP_SERVER_HANDOFF or in config.json, it is refused with a ConfigError that says what is wrong - never a
RecursionError traceback - and an ordinary hand-off still loads (issue 26). Packed (handoff.config.PACKED, as
apply writes it to the Runtime's environment and the callback's parameter), a small value that would inflate past
the size limit, bad base64, bad zlib and a cut-short stream are refused the same way."""

from __future__ import annotations

import base64
import zlib
from pathlib import Path

import pytest

from handoff.config import (
    HAND_OFF_VARIABLE,
    MAX_HAND_OFF_BYTES,
    MAX_HAND_OFF_DEPTH,
    PACKED,
    ConfigError,
    HandOff,
    config_from_environment,
    load_config,
    pack,
    write_config,
)

ORDINARY = HandOff(stack="s", region="us-east-1", tools={"a": "T___a"})


def nested(depth: int) -> str:
    """A HandOff whose `tools` holds `depth` levels of arrays in all (the document itself is the first)."""
    return '{"format_version": 1, "stack": "s", "region": "r", "tools": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


HOSTILE = [
    pytest.param(nested(100_000), "nested deeper than", id="depth-100000"),
    pytest.param(nested(MAX_HAND_OFF_DEPTH + 1), "nested deeper than", id="depth-one-over"),
    pytest.param('{"format_version": 1, "stack": "' + "s" * MAX_HAND_OFF_BYTES + '"}', "larger than", id="size"),
    pytest.param("[" * 600_000, "larger than", id="brackets-over-size"),
]


BOMB = zlib.compress(b'{"stack": "' + b"s" * (64 * MAX_HAND_OFF_BYTES) + b'"}', 9)
PACKED_HOSTILE = [
    pytest.param(PACKED + base64.b64encode(BOMB).decode(), "larger than", id="packed-bomb"),
    pytest.param(PACKED + "not base64!", "not a packed hand-off", id="packed-bad-base64"),
    pytest.param(PACKED + base64.b64encode(b"not zlib").decode(), "not a packed hand-off", id="packed-bad-zlib"),
    pytest.param(pack(ORDINARY.model_dump_json())[:-12], "cut short|not a packed", id="packed-cut-short"),
    pytest.param(pack(nested(MAX_HAND_OFF_DEPTH + 1)), "nested deeper than", id="packed-too-deep"),
    pytest.param(
        PACKED + base64.b64encode(zlib.compress(b"{}") + zlib.compress(b"{}")).decode(), "bytes after", id="packed-tail"
    ),
]


@pytest.mark.parametrize(("text", "says"), HOSTILE + PACKED_HOSTILE)
def test_a_hostile_hand_off_variable_is_a_config_error(text: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says) as raised:
        config_from_environment({HAND_OFF_VARIABLE: text})
    assert HAND_OFF_VARIABLE in str(raised.value) and len(str(raised.value)) < 400


@pytest.mark.parametrize(("text", "says"), HOSTILE)
def test_a_hostile_config_file_is_a_config_error(text: str, says: str, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=says) as raised:
        load_config(path)
    assert str(path) in str(raised.value) and len(str(raised.value)) < 400


def test_an_ordinary_hand_off_at_the_depth_limit_still_loads(tmp_path: Path) -> None:
    assert config_from_environment({HAND_OFF_VARIABLE: ORDINARY.model_dump_json()}) == ORDINARY
    assert config_from_environment({HAND_OFF_VARIABLE: pack(ORDINARY.model_dump_json())}) == ORDINARY
    write_config(tmp_path / "config.json", ORDINARY)
    assert load_config(tmp_path / "config.json") == ORDINARY
    with pytest.raises(ConfigError, match="incomplete"):  # deep but within the limit: the model decides
        config_from_environment({HAND_OFF_VARIABLE: nested(MAX_HAND_OFF_DEPTH)})
