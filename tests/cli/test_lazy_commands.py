"""`reconcile --help` and `reconcile validate` start without what they do not use: no AWS SDK, no moto (the
sandbox), no MCP SDK (the demo), no packager, no differ; `sandbox` and `demo` are imported when run, and the
help lists them with their own first paragraph."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from commands.reconcile import LAZY, load, main
from tests.conftest import ROOT, STACK_ENV, reconcile
from tests.imports import loaded

NEVER = ("boto3", "botocore", "moto", "mcp", "sandbox", "demo", "deepdiff", "reconciler.packaging.dependencies")


def modules_after(args: list[str], env: dict[str, str]) -> set[str]:
    """The modules a fresh interpreter holds after running `reconcile ARGS` (which must succeed)."""
    code = (
        "import sys\nfrom commands.reconcile import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "print('--- modules ---', *sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split("--- modules ---")[-1].split())


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, **STACK_ENV, "XDG_CACHE_HOME": str(tmp_path / "cache")}


def test_help_loads_neither_the_engine_nor_the_tools_beside_it(env: dict[str, str]) -> None:
    modules = modules_after(["--help"], env)
    assert not [p for p in (*NEVER, "pydantic", "openapi_spec_validator", "reconciler.kinds") if loaded(modules, p)]


def test_validate_loads_only_the_spec(env: dict[str, str]) -> None:
    first = modules_after(["validate", "--stack", str(ROOT / "stack.yaml")], env)
    assert not [p for p in NEVER if loaded(first, p)]
    # The OpenAPI validator's acceptance of the unchanged document is remembered: a second run does not load it.
    second = modules_after(["validate", "--stack", str(ROOT / "stack.yaml")], env)
    assert not [p for p in (*NEVER, "openapi_spec_validator") if loaded(second, p)]


@pytest.mark.parametrize("name", sorted(LAZY))
def test_the_help_of_a_lazy_command_is_its_own(name: str) -> None:
    command = load(LAZY[name][0])
    assert command.help is not None
    assert LAZY[name][1] == command.help.split("\n\n")[0].strip()
    for limit in (45, 70):  # as `reconcile --help` lists it before importing it
        assert click.Command(name, help=LAZY[name][1]).get_short_help_str(limit) == command.get_short_help_str(limit)
    assert name in main.list_commands(click.Context(main))


@pytest.mark.parametrize("name", sorted(LAZY))
def test_a_lazy_command_runs(name: str) -> None:
    result = reconcile(name, "--help")
    assert result.exit_code == 0 and f"Usage: reconcile {name}" in result.output, result.output
