"""Which gateway tools `mcp-server` offers (issue 23): `--toolsets` and `--allow-writes`, whose environment
variables (MCP_TOOLSETS, MCP_ALLOW_WRITES: a stack's agent_runtime `environment:`) are their defaults. `--help`
teaches them from the shipped document's toolsets without loading the SDK or the models; a bad value names the
option and the valid choices; both sources reach a running server (listed through the sandbox gateway)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

import server.__main__ as program
from handoff.config import OperationConfig
from server.catalog import snake_case
from server.options import TOOLSETS, HttpOptions, ToolChoice
from server.serving import WORKER_OPTIONS_ENV
from tests.asgi import serving_asgi
from tests.conftest import ROOT
from tests.imports import console_script_help, loaded
from tests.sandbox.helpers import mint
from tests.server.conftest import Stack, connect, write_config
from tests.server.test_tools import bearer

pytestmark = pytest.mark.usefixtures("restore_logging")
DOCUMENT = ROOT / "openapi" / "github.yaml"
CURATED = {"getAuthenticatedUser": "get_user_profile", "listUserRepositories": "get_user_repos"}
NEVER = ("mcp", "pydantic", "uvicorn", "starlette", "boto3", "botocore", "jsonschema", "yaml", "handoff.config")
"""What `mcp-server --help` must not load (issue 20's start-up budget; bench/startup.py measures it)."""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(program.main, list(args), env=env, catch_exceptions=False)


def operations() -> dict[str, tuple[str, str, str]]:
    """operationId -> (tool name, HTTP method, first tag), read from the shipped document."""
    document = yaml.safe_load(DOCUMENT.read_text())
    return {
        op["operationId"]: (
            CURATED.get(op["operationId"]) or op.get("x-mcp-name") or snake_case(op["operationId"]),
            method,
            op["tags"][0],
        )
        for item in document["paths"].values()
        for method, op in item.items()
    }


def shipped_operations() -> dict[str, OperationConfig]:
    """The hand-off's `operations` for the shipped document, as `reconcile apply` writes them."""
    return {op: OperationConfig(toolset=tag, method=method) for op, (_, method, tag) in operations().items()}


def help_text() -> str:
    result = run("--help")
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_the_help_names_the_toolsets_of_the_shipped_document() -> None:
    document = yaml.safe_load(DOCUMENT.read_text())
    assert TOOLSETS == tuple(tag["name"] for tag in document["tags"])
    assert set(TOOLSETS) == {tag for _, _, tag in operations().values()}  # each toolset is some operation's first tag
    assert f"toolsets (repeat, or comma-separate): {', '.join(TOOLSETS)}" in help_text()


def test_the_help_says_read_only_by_default_and_what_a_write_does() -> None:
    text = help_text()
    assert (
        "Read-only by default" in text and "[env var: MCP_ALLOW_WRITES]" in text and "[env var: MCP_TOOLSETS]" in text
    )
    assert "Each write first asks the user to confirm what it will do (form elicitation)" in text
    named = re.search(r"change GitHub \(any method but GET: ([a-z_, ]+), \.\.\.\)", text)
    assert named is not None, text
    writes = {name for name, method, _ in operations().values() if method != "get"}
    assert set(named.group(1).split(", ")) <= writes


def modules_after_help(code: str) -> tuple[str, set[str]]:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    output, _, modules = done.stdout.partition("--- modules ---")
    return output, set(modules.split())


def test_help_loads_neither_the_sdk_nor_the_models() -> None:
    code = (
        "import sys\nfrom server.__main__ import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit as exit:\n    assert not exit.code\n"
        "print('--- modules ---', *sys.modules)"
    )
    output, modules = modules_after_help(code)
    assert "--toolsets" in output and "--allow-writes" in output
    assert not [p for p in NEVER if loaded(modules, p)]


def test_the_installed_command_imports_none_of_them() -> None:
    """The console script itself (.venv/bin/mcp-server), its imports listed by -X importtime."""
    output, modules = console_script_help("mcp-server")
    assert "Usage: mcp-server" in output
    assert "click" in modules and not [p for p in NEVER if loaded(modules, p)]


@pytest.mark.parametrize(
    ("args", "env", "wrong"),
    [
        pytest.param(["--toolsets", "repos,nope"], {}, "'nope' is not", id="flag"),
        pytest.param([], {"MCP_TOOLSETS": "pulls,repos,issue"}, "'issue', 'pulls' are not", id="environment"),
    ],
)
def test_an_unknown_toolset_names_the_option_and_the_choices(
    tmp_path: Path, started: list[dict[str, Any]], args: list[str], env: dict[str, str], wrong: str
) -> None:
    config = write_config(tmp_path, operations=shipped_operations())
    result = run("--config", str(config), *args, env=env)
    assert result.exit_code == 2 and not started
    text = " ".join(result.output.split())
    assert "Invalid value for '--toolsets' (env var: 'MCP_TOOLSETS')" in text
    assert (
        f"{wrong} among this stack's toolsets; choose from context, issues, pull_requests, repos, search, or all"
        in text
    )
    assert not (tmp_path / "oauth-sessions.sqlite3").exists()  # refused before anything is opened


def test_the_choices_are_the_stacks_own(tmp_path: Path, started: list[dict[str, Any]]) -> None:
    """A stack whose document adds a tag offers it as a toolset; one written before toolsets existed offers none."""
    own = {**shipped_operations(), "listDeployments": OperationConfig(toolset="deployments")}
    assert run("--config", str(write_config(tmp_path, operations=own)), "--toolsets", "deployments").exit_code == 0
    assert started
    older = run("--config", str(write_config(tmp_path)), "--toolsets", "repos")
    assert older.exit_code == 2 and "describes no toolsets" in older.output and "reconcile apply" in older.output
    assert run("--config", str(write_config(tmp_path)), "--toolsets", "all").exit_code == 0


@pytest.mark.parametrize("value", ["maybe", "2", "yes please"])
def test_allow_writes_takes_a_boolean(tmp_path: Path, started: list[dict[str, Any]], value: str) -> None:
    result = run("--config", str(write_config(tmp_path)), env={"MCP_ALLOW_WRITES": value})
    assert result.exit_code == 2 and not started
    text = " ".join(result.output.split())
    assert "Invalid value for '--allow-writes' (env var: 'MCP_ALLOW_WRITES')" in text
    assert "not a valid boolean" in text and "1, f, false, n, no, off, on, t, true, y, yes" in text


def test_worker_processes_get_the_same_choice(
    tmp_path: Path, started: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--workers N: each process builds its server from the options the supervisor leaves in the environment."""
    monkeypatch.setenv(WORKER_OPTIONS_ENV, "")  # restored after the test
    config = write_config(tmp_path, operations=shipped_operations())
    assert run("--config", str(config), "--workers", "2", "--toolsets", "issues,repos", "--allow-writes").exit_code == 0
    options = HttpOptions(**json.loads(os.environ[WORKER_OPTIONS_ENV]))
    assert options.choice == ToolChoice(frozenset({"issues", "repos"}), writes=True)
    assert started[0]["workers"] == 2


def offered_by_the_document(toolsets: set[str], *, writes: bool) -> set[str]:
    found = {name for name, method, tag in operations().values() if tag in toolsets and (writes or method == "get")}
    return found | set(CURATED.values()) | {"search_tools"}  # always offered


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("args", "env", "toolsets", "writes"),
    [
        pytest.param(["--toolsets", "issues", "--allow-writes"], {}, {"issues"}, True, id="flags"),
        pytest.param([], {"MCP_TOOLSETS": "issues", "MCP_ALLOW_WRITES": "1"}, {"issues"}, True, id="environment"),
        pytest.param(["--toolsets", "pull_requests"], {"MCP_TOOLSETS": "repos"}, {"pull_requests"}, False,
                     id="flag-over-environment"),
        pytest.param([], {"MCP_ALLOW_WRITES": "0"}, set(TOOLSETS), False, id="default"),
    ],
)  # fmt: skip
async def test_the_choice_reaches_the_running_server(
    stack: Stack,
    started: list[dict[str, Any]],
    args: list[str],
    env: dict[str, str],
    toolsets: set[str],
    writes: bool,
) -> None:
    result = run("--config", str(stack.workdir / "config.json"), *args, env=env)
    assert result.exit_code == 0, result.output
    alice = mint(stack.sandbox.url, "alice")
    with serving_asgi(started[0]["app"]) as base:
        async with connect(f"{base}/mcp", headers=bearer(alice)) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
    assert tools == offered_by_the_document(toolsets, writes=writes)
