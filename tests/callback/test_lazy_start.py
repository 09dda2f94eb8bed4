"""`oauth-callback --help` and a mistyped option answer without loading the app: no boto3, no uvicorn, no
Starlette, no MCP SDK (issue 20). Once the options are parsed, the command imports them all before it configures
logging, so the redacting filter still covers the handlers the libraries install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.imports import console_script_help, loaded

NEVER = ("boto3", "botocore", "uvicorn", "starlette", "mcp", "callback.app", "callback.setup")


def run(args: list[str], then: str = "") -> tuple[int, str, set[str]]:
    """`oauth-callback ARGS` in a fresh interpreter, then `then`: its exit code, output and modules loaded."""
    code = (
        "import sys\nfrom callback.__main__ import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit as exit:\n    code = exit.code or 0\n"
        f"{then}\n"
        "print('--- exit ---', code, '--- modules ---', *sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    output, _, rest = done.stdout.partition("--- exit ---")
    exit_code, _, modules = rest.partition("--- modules ---")
    return int(exit_code), output + done.stderr, set(modules.split())


def test_help_loads_neither_the_app_nor_the_sdks() -> None:
    code, output, modules = run(["--help"])
    assert code == 0 and "Usage:" in output and "--sign-in / --no-sign-in" in output, output
    assert not [p for p in NEVER if loaded(modules, p)]


def test_the_installed_command_imports_none_of_them() -> None:
    """The console script itself (.venv/bin/oauth-callback), its imports listed by -X importtime."""
    output, modules = console_script_help("oauth-callback")
    assert "Usage: oauth-callback" in output
    assert "click" in modules
    assert not [p for p in NEVER if loaded(modules, p)]


def test_a_mistyped_option_is_refused_without_loading_them() -> None:
    code, output, modules = run(["--prot", "8080"])
    assert code == 2 and "No such option '--prot'" in output, output
    assert not [p for p in NEVER if loaded(modules, p)]


def test_logging_is_configured_after_the_libraries_are_imported(tmp_path: Path) -> None:
    """A run stopped by a missing config.json has imported boto3 and uvicorn and configured logging: every
    handler of every logger, the libraries' own included, redacts credentials."""
    report = (
        "import logging\nfrom handoff.logs import RedactCredentials\n"
        "loggers = [logging.getLogger(), *(logging.getLogger(n) for n in list(logging.root.manager.loggerDict))]\n"
        "handlers = [(l.name, h) for l in loggers for h in l.handlers]\n"
        "print('handlers', len(handlers))\n"
        "for name, h in handlers:\n"
        "    assert any(isinstance(f, RedactCredentials) for f in h.filters), (name, h)"
    )
    code, output, modules = run(["--config", str(tmp_path / "none.json")], then=report)
    assert code == 1 and "does not exist" in output, output
    assert all(loaded(modules, p) for p in ("boto3", "uvicorn", "starlette", "callback.setup"))
    assert int(output.split("handlers ")[1].split()[0]) > 1, output  # the root's and at least one library's
