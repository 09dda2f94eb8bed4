"""The server's runtime dependencies, installed for a target platform with uv.

The roots are what `server/` and `handoff/` import (read from their source, so a new import cannot
be forgotten), as the project declares them (extras kept: `pyjwt[crypto]`), plus declared
dependencies the code names only in a string (uvicorn's `loop="uvloop"`, `http="httptools"`: imported
by name at run time, invisible to an import scan); every version is pinned
by the project's lock file (`uv export` as constraints). uv then resolves the markers for the
*target* platform, not the host's, and refuses source builds (`--only-binary :all:`): a wheel built
here would be built for here.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

from reconciler.packaging import PackagingError
from reconciler.packaging.platforms import Platform

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def imported_modules(directories: list[Path]) -> set[str]:
    """Top-level names imported anywhere under the directories (lazy imports inside functions too)."""
    return _scanned(directories)[0]


def named_modules(directories: list[Path]) -> set[str]:
    """String constants that look like module names (`"uvloop"`): candidates for imports by name."""
    return _scanned(directories)[1]


def _scanned(directories: list[Path]) -> tuple[set[str], set[str]]:
    """(imported names, identifier-like string constants) of every module under the directories, one parse each."""
    imported: set[str] = set()
    named: set[str] = set()
    for directory in directories:
        for path in sorted(directory.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
                if isinstance(node, ast.Import):
                    imported.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    imported.add(node.module.split(".")[0])
                elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
                    named.add(node.value)
    return imported, named


@cache
def _distributions(search_path: tuple[str, ...]) -> Mapping[str, list[str]]:
    """importlib's module -> distributions map: a scan of every installed package's metadata, done once per
    process for a given sys.path (the environment does not change under a running command)."""
    return packages_distributions()


def root_requirements(project_root: Path, directories: list[Path]) -> list[str]:
    """Requirement strings for the distributions the directories import (or name, when the project
    declares them), extras as the project declares them."""
    ours = {directory.name for directory in directories} | set(sys.stdlib_module_names) | {"__future__"}
    imported, named_constants = _scanned(directories)
    third_party = imported - ours
    by_module = _distributions(tuple(sys.path))
    missing = sorted(name for name in third_party if name not in by_module)
    if missing:
        raise PackagingError(f"imported but not installed in this environment: {', '.join(missing)} (run uv sync)")
    declared = {_normalize(_name_of(req)): req for req in _declared(project_root)}
    distributions = {_normalize(dist) for name in third_party for dist in by_module[name]}
    named = {_normalize(dist) for name in named_constants - ours for dist in by_module.get(name, [])}
    distributions |= named & set(declared)
    return sorted(declared.get(dist, dist) for dist in distributions)


def _declared(project_root: Path) -> list[str]:
    project = tomllib.loads((project_root / "pyproject.toml").read_text())
    return list(project.get("project", {}).get("dependencies", []))


def _name_of(requirement: str) -> str:
    match = NAME.match(requirement)
    return match.group(0) if match else requirement


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_constraints(project_root: Path) -> str:
    """The lock file's versions as a constraints file (markers kept, evaluated later for the target)."""
    return _uv(
        ["export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "--no-header"],
        cwd=project_root,
        step="reading uv.lock (uv export)",
    )


def install(target: Path, *, roots: list[str], constraints: Path, platform: Platform, project_root: Path) -> str:
    """Installs the roots and their dependencies into target for the platform; returns uv's summary."""
    requirements = target.parent / f"{target.name}.in"
    requirements.write_text("".join(f"{req}\n" for req in roots))
    arguments = ["pip", "install", "--target", str(target), "-r", str(requirements), "-c", str(constraints)]
    arguments += [*platform.uv_options(), "--link-mode", "copy", "--python", sys.executable, "--no-config"]
    try:
        return _uv(arguments, cwd=project_root, step=f"installing dependencies for {platform.label}")
    finally:
        requirements.unlink(missing_ok=True)


def _uv(arguments: list[str], *, cwd: Path, step: str) -> str:
    uv = shutil.which("uv")
    if uv is None:
        raise PackagingError("uv is not on PATH; packaging uses it to resolve wheels for the target platform")
    done = subprocess.run([uv, *arguments], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PackagingError(f"{step} failed:\n{done.stderr.strip()}")
    return done.stdout if arguments[0] == "export" else done.stderr
