"""What of the project goes into the zip (issue 26): in a git checkout only the files git tracks under server/
and handoff/ (a `server/.env` stays out), outside git only the include list; never a symbolic link out of the
project's folder; each file left out is reported, and the zip's own files are part of the artifact's
description (the plan's `artifact.files`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from reconciler.packaging import ENTRY_FILE, Artifact, PackagingError
from reconciler.packaging.sources import UntrackedPackage, select_sources
from tests.packaging.conftest import ROOT, build

SECRET = "GITHUB_CLIENT_SECRET=do-not-ship\n"


def project(folder: Path, *, git: bool) -> Path:
    """A copy of the server's packages with hostile extras: an untracked `.env`, a link to a file outside the
    project, a link to a folder outside it, and a link inside it (to another source file)."""
    for name in ("server", "handoff"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy2(ROOT / name, folder / name)
    outside = folder.parent / f"{folder.name}-outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.py").write_text(f'SECRET = "{SECRET.strip()}"\n')
    (outside / "folder" / "more.py").write_text("MORE = 1\n")
    (folder / "server" / "leak.py").symlink_to(outside / "secret.py")
    (folder / "server" / "leaked").symlink_to(outside / "folder")
    (folder / "server" / "alias.py").symlink_to(Path("..") / "handoff" / "links.py")
    if git:
        subprocess.run(["git", "init", "-q", str(folder)], check=True)
        subprocess.run(["git", "-C", str(folder), "add", "server", "handoff"], check=True)
    (folder / "server" / ".env").write_text(SECRET)  # after `git add`: untracked, as a developer's .env is
    (folder / "server" / "notes.txt").write_text("scratch\n")
    return folder


@pytest.mark.parametrize("git", [pytest.param(True, id="git"), pytest.param(False, id="no-git")])
def test_only_tracked_or_listed_files_and_no_link_out_of_the_tree(tmp_path: Path, git: bool) -> None:
    root = project(tmp_path / "project", git=git)
    selected = select_sources(root, ("server", "handoff"))
    names = {name for name, _ in selected.files}
    skipped = dict(selected.skipped)
    assert {"server/app.py", "handoff/config.py", "server/alias.py"} <= names  # a link inside the tree is fine
    assert not names & {"server/.env", "server/notes.txt", "server/leak.py", "server/leaked"}
    assert skipped["server/leak.py"] == "a symbolic link out of the project's folder"
    assert skipped["server/leaked"] == "a symbolic link out of the project's folder"
    untracked = "not tracked by git" if git else "not in the include list *.py, py.typed (no git)"
    assert skipped["server/.env"] == skipped["server/notes.txt"] == untracked
    assert selected.tracked_by == ("git" if git else "include list")


def test_a_package_git_does_not_track_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path / "project", git=False)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "handoff"], check=True)
    with pytest.raises(UntrackedPackage, match=r"git tracks no file under server/"):
        select_sources(root, ("server", "handoff"))


def test_the_zip_holds_what_was_selected_and_says_what_was_skipped(arm64_artifact: Artifact, tmp_path: Path) -> None:
    """Built over the session's cache (the same dependencies): only zipping happens here."""
    root = project(tmp_path / "project", git=True)
    messages: list[str] = []
    artifact = build(arm64_artifact.path.parents[1], root=root, messages=messages)
    with zipfile.ZipFile(artifact.path) as archive:
        names = set(archive.namelist())
        contents = b"".join(archive.read(name) for name in names if name.startswith(("server/", "handoff/")))
    assert not names & {"server/.env", "server/notes.txt", "server/leak.py"}
    assert not [name for name in names if name.startswith("server/leaked")]
    assert SECRET.strip().encode() not in contents
    assert "skipped server/.env: not tracked by git" in messages
    assert "skipped server/leak.py: a symbolic link out of the project's folder" in messages
    own = {name for name in names if name.startswith(("server/", "handoff/")) or name == ENTRY_FILE}
    assert set(artifact.files) == own and "server/alias.py" in own


def test_the_shipped_project_is_selected_from_git() -> None:
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse"], capture_output=True).returncode != 0:
        pytest.skip("the project is not a git checkout here")
    selected = select_sources(ROOT, ("server", "handoff"))
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files", "server", "handoff"], capture_output=True, text=True)
    on_disk = {name for name in tracked.stdout.split() if os.path.isfile(ROOT / name)}
    assert selected.tracked_by == "git" and {name for name, _ in selected.files} == on_disk


def test_a_packaging_refusal_is_a_packaging_error(tmp_path: Path) -> None:
    root = project(tmp_path / "project", git=False)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    with pytest.raises(PackagingError, match="git tracks no file under"):
        build(tmp_path / "cache", root=root)
