"""Which program a code artifact holds (issue 22): the MCP server for AgentCore Runtime, or the OAuth callback for
AWS Lambda. Both zips come from the same machinery (sources git tracks, dependencies from uv.lock for the
platform, a reproducible zip named by its SHA-256, the same caches); they differ in the packages they take and in
the entry point: the server's is a generated file (reconciler.packaging.ENTRY_SOURCE), the callback's is a module
of its own package that Lambda's runtime imports by name (`callback.lambda_handler.handler`), so its zip holds
`callback/` and `handoff/` and nothing of the server.

`package_program` is what the code_artifact kind calls. The server goes through `package_server` unchanged (the
packaging tests and `reconcile`'s no-build checks watch that function); the callback through `_package_program`
below, which reuses the packager's steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from reconciler import packaging
from reconciler.packaging import Artifact, PackagingError, Platform, Progress

ProgramName = Literal["server", "callback"]


@dataclass(frozen=True)
class Program:
    name: ProgramName
    packages: tuple[str, ...]
    """Folders of the project that go into the zip (only the files git tracks there)."""
    handler: str | None = None
    """Lambda's handler (`module.function`) for a program run by Lambda; None for the Runtime's entry file."""
    needs: tuple[str, ...] = ()
    """Requirements the packages never import by name, which the scan cannot see."""
    never_imported: tuple[str, ...] = ()
    """Declared distributions the packages name in a string but never import, which the packager's scan for
    imports by name (reconciler/packaging/dependencies.py) would take: left out."""


SERVER = Program("server", packaging.PACKAGES)
CALLBACK = Program(
    "callback",
    ("callback", "handoff"),
    handler="callback.lambda_handler.handler",
    needs=("python-multipart>=0.0.34",),  # Starlette imports python_multipart only when it parses a form (the POST)
    never_imported=("mcp",),  # handoff/logs.py names the `mcp` logger; the callback imports nothing of it
)
PROGRAMS: dict[str, Program] = {program.name: program for program in (SERVER, CALLBACK)}
FORMAT = "program-1"
"""Bumped when the callback zip's layout changes (the server's has packaging.FORMAT)."""


def package_program(
    program: Program,
    *,
    project_root: Path,
    platform: Platform,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> Artifact:
    """The program's zip for the platform, built or found in the caches (reconciler.packaging says which)."""
    shout = progress or packaging._print_progress
    if program == SERVER:
        return packaging.package_server(
            project_root=project_root, platform=platform, cache_dir=cache_dir, progress=shout
        )
    return _package_program(program, project_root, platform, cache_dir or packaging.default_cache_dir(), shout)


def _package_program(
    program: Program, project_root: Path, platform: Platform, cache: Path, progress: Progress
) -> Artifact:
    from reconciler.packaging import archive, dependencies
    from reconciler.packaging.sources import UntrackedPackage, format_skipped, select_sources

    try:
        selected = select_sources(project_root, program.packages)
    except UntrackedPackage as exc:
        raise PackagingError(str(exc)) from None
    for line in format_skipped(selected.skipped):
        progress(line)
    sources = [(name, path.read_bytes()) for name, path in selected.files]
    files = tuple(name for name, _ in sources)
    roots = dependencies.root_requirements(project_root, [project_root / name for name in program.packages])
    roots = [root for root in roots if re.split(r"[\[<>=!~;\s]", root, maxsplit=1)[0] not in program.never_imported]
    roots = sorted({*roots, *program.needs})
    lock = (project_root / "uv.lock").read_bytes()
    deps_key = packaging._digest([packaging.FORMAT, platform.label, *roots, lock])
    zip_key = packaging._digest([FORMAT, packaging.ZIP_FORMAT, program.name, deps_key, *packaging._flat(sources)])
    zip_path = cache / "zips" / f"{zip_key}.zip"
    if zip_path.exists():
        progress(f"{program.name} {platform.label}: unchanged, cached zip {zip_path.name[:12]}…")
        size = zip_path.stat().st_size
        return Artifact(zip_path, archive.sha256_of(zip_path), size, platform, cached=True, files=files)
    installed = packaging._installed_dependencies(cache / "deps" / deps_key, roots, platform, project_root, progress)
    entries = [
        (name, packaging.without_scripts(name, path.read_bytes()))
        for name, path in archive.files_under(installed)
        if not packaging._is_script(name)
    ]
    entries += sources
    return replace(packaging._write(zip_path, entries, platform, progress), files=files)
