"""Which modules a command loads: the lazy-start tests of `reconcile`, `mcp-server` and `oauth-callback`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def loaded(modules: set[str], package: str) -> bool:
    return package in modules or any(name.startswith(package + ".") for name in modules)


def console_script_help(command: str) -> tuple[str, set[str]]:
    """`.venv/bin/COMMAND --help` as installed, its output and its imports (listed by -X importtime)."""
    script = Path(sys.executable).parent / command
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(script), "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    modules = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return done.stdout, modules
