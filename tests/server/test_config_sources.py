"""Where mcp-server reads its configuration: the file at --config, or, on AgentCore Runtime, the
same model in MCP_SERVER_HANDOFF (set by the agent_runtime kind's hand_off); bad values are refused
with the source named and no value echoed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from handoff.config import HAND_OFF_VARIABLE
from server.config import ConfigError, load_server_config, reloaded
from tests.server.conftest import write_config


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    text = write_config(tmp_path, stack="from-env").read_text()
    config = load_server_config(tmp_path / "absent.json", {HAND_OFF_VARIABLE: text})
    assert config.stack == "from-env" and config.tool("getAuthenticatedUser") == "T___getAuthenticatedUser"


def test_without_the_variable_the_file_is_read(tmp_path: Path) -> None:
    assert load_server_config(write_config(tmp_path, stack="from-file"), {}).stack == "from-file"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        pytest.param("{not json", "is not JSON", id="not-json"),
        pytest.param("[1, 2]", "is not a JSON object", id="array"),
        pytest.param('{"format_version": 99, "stack": "s", "region": "r"}', "format_version 99", id="newer"),
        pytest.param('{"format_version": 1, "stack": "s"}', "region", id="incomplete"),
        pytest.param(
            '{"format_version": 1, "stack": "s", "region": "r", "extra": "secret-ish"}', "extra", id="unknown"
        ),
        pytest.param('{"format_version": 1, "stack": "s", "region": "r"}', "names no gateway", id="no-gateway"),
        pytest.param("9" * 100_000, "is not", id="huge-number"),
    ],
)
def test_a_bad_variable_is_refused_naming_it(tmp_path: Path, value: str, says: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_server_config(write_config(tmp_path), {HAND_OFF_VARIABLE: value})
    message = str(refused.value)
    assert f"environment variable {HAND_OFF_VARIABLE}" in message and says in message
    assert "secret-ish" not in message and len(message) < 600


def test_a_rewrite_is_noticed_when_its_timestamp_and_size_are_the_same(tmp_path: Path) -> None:
    """apply replaces config.json (a rename): within one timestamp tick, with the same size, the inode still tells."""
    path = write_config(tmp_path, stack="stack-a")
    config = load_server_config(path, {})
    before = path.stat()
    write_config(tmp_path, stack="stack-b")  # the same length
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    fresh = reloaded(config)
    assert fresh.stack == "stack-b" and reloaded(fresh) is fresh
