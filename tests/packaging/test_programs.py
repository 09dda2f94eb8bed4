"""The callback's zip (issue 22): the same machinery as the server's, with callback/ and handoff/ and their
dependencies only, no entry file, reproducible, and importable on its own the way Lambda's runtime imports it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from reconciler.packaging import ENTRY_FILE, Artifact, host
from reconciler.packaging.programs import CALLBACK, package_program
from tests.packaging.conftest import ROOT


@pytest.fixture(scope="module")
def callback_zip(tmp_path_factory: pytest.TempPathFactory) -> Artifact:
    return package_program(CALLBACK, project_root=ROOT, platform=host(), cache_dir=tmp_path_factory.mktemp("cb"))


def test_it_holds_the_callback_and_the_hand_off_package_only(callback_zip: Artifact) -> None:
    with zipfile.ZipFile(callback_zip.path) as archive:
        names = set(archive.namelist())
    assert {"callback/lambda_handler.py", "callback/app.py", "handoff/config.py"} <= names
    assert any(name.startswith("mangum/") for name in names) and any(name.startswith("starlette/") for name in names)
    assert any(name.startswith("python_multipart/") for name in names)  # the POST's form: imported only then
    assert ENTRY_FILE not in names
    assert not any(name.startswith(("server/", "reconciler/", "sandbox/", "mcp/", "bin/")) for name in names)
    assert set(callback_zip.files) == {name for name in names if name.startswith(("callback/", "handoff/"))}


def test_it_is_reproducible(callback_zip: Artifact, tmp_path: Path) -> None:
    again = package_program(CALLBACK, project_root=ROOT, platform=host(), cache_dir=tmp_path, progress=lambda _m: None)
    assert not again.cached and again.sha256 == callback_zip.sha256


def test_the_handler_imports_from_the_zip_alone(callback_zip: Artifact, tmp_path: Path) -> None:
    """As Lambda's runtime does: the zip's folder first, nothing of this machine's site-packages (-S)."""
    zipfile.ZipFile(callback_zip.path).extractall(tmp_path)
    imported = subprocess.run(
        [sys.executable, "-S", "-c", "import sys; sys.path.insert(0, '.'); import callback.lambda_handler"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert imported.returncode == 0, imported.stderr
