"""Which of the project's own files go into the zip (issue 26): in a git checkout, the files git tracks under
the package roots, and nothing else - a `server/.env`, a scratch file or an editor's backup stays out; outside
git, the files that match INCLUDED_WITHOUT_GIT. Either way no symbolic link is followed out of the project's
folder, and what was left out is reported, so the person applying sees it. Called by the packager
(reconciler/packaging/__init__.py) and by the code_artifact kind's list of files a saved plan depends on.
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from reconciler.packaging.archive import skipped as is_bytecode

INCLUDED_WITHOUT_GIT = ("*.py", "py.typed")
"""The explicit include list when the project is not a git checkout (or git is not installed)."""


class UntrackedPackage(Exception):
    """A package root holds files but git tracks none of them: the zip would lack the package."""


@dataclass(frozen=True)
class Sources:
    files: list[tuple[str, Path]]
    """(archive name, path), sorted by name: what goes into the zip."""
    skipped: list[tuple[str, str]]
    """(archive name, why), sorted: what was left out."""
    tracked_by: str
    """"git", or "include list" (no git)."""


def select_sources(project_root: Path, packages: tuple[str, ...]) -> Sources:
    """The files of `packages` (folders of `project_root`) that belong in the zip, and those left out.
    Raises UntrackedPackage when git tracks no file of a package that has some."""
    root = project_root.resolve()
    tracked = _tracked(root, packages)
    files: list[tuple[str, Path]] = []
    skipped: list[tuple[str, str]] = []
    for package in packages:
        found = _files_on_disk(root, package)
        if tracked is not None and found and not tracked & {name for name, _ in found}:
            raise UntrackedPackage(
                f"git tracks no file under {package}/ in {root}: `git add {package}` (the zip takes only tracked "
                "files), or package from a folder that is not a git checkout"
            )
        for name, path in found:
            why = _excluded(name, path, root, tracked)
            if why is None:
                files.append((name, path))
            else:
                skipped.append((name, why))
    return Sources(sorted(files), sorted(skipped), "git" if tracked is not None else "include list")


def _tracked(root: Path, packages: tuple[str, ...]) -> set[str] | None:
    """Paths git tracks under `packages`, relative to `root` (POSIX); None when `root` is not in a git checkout
    or git is not installed."""
    try:
        listed = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--", *packages],
            capture_output=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if listed.returncode != 0:
        return None
    return {name for name in listed.stdout.decode("utf-8", "surrogateescape").split("\0") if name}


def _files_on_disk(root: Path, package: str) -> list[tuple[str, Path]]:
    """Every file and link under root/package, bytecode caches left out; links to folders are not entered."""
    found = []
    for folder, directories, names in os.walk(root / package, followlinks=False):
        directories[:] = [d for d in directories if d != "__pycache__"]
        links = [d for d in directories if (Path(folder) / d).is_symlink()]  # os.walk lists them, never enters
        for name in [*names, *links]:
            path = Path(folder) / name
            relative = path.relative_to(root)
            if not is_bytecode(relative.relative_to(package)):
                found.append((relative.as_posix(), path))
    return found


def _excluded(name: str, path: Path, root: Path, tracked: set[str] | None) -> str | None:
    """Why `path` stays out of the zip, or None."""
    if not path.resolve().is_relative_to(root):
        return "a symbolic link out of the project's folder"
    if tracked is not None and name not in tracked:
        return "not tracked by git"
    if tracked is None and not any(fnmatch.fnmatch(path.name, pattern) for pattern in INCLUDED_WITHOUT_GIT):
        return f"not in the include list {', '.join(INCLUDED_WITHOUT_GIT)} (no git)"
    if not path.is_file():
        return "not a regular file"
    return None


def format_skipped(skipped: list[tuple[str, str]], limit: int = 20) -> list[str]:
    """Lines for the packager's progress: one per file left out, at most `limit`."""
    lines = [f"skipped {name}: {why}" for name, why in skipped[:limit]]
    if len(skipped) > limit:
        lines.append(f"skipped {len(skipped) - limit} more files")
    return lines
