"""The zip is reproducible: same inputs, same bytes; fixed order, times and permissions."""

from __future__ import annotations

import zipfile
from pathlib import Path

from reconciler.packaging import ENTRY_FILE, Artifact
from reconciler.packaging.archive import FILE_MODE, FIXED_TIME, write_zip
from tests.packaging.conftest import build


def test_the_same_server_built_twice_from_scratch_is_byte_identical(arm64_artifact: Artifact, tmp_path: Path) -> None:
    again = build(tmp_path / "another-cache")  # a fresh cache: dependencies installed again
    assert not again.cached
    assert again.sha256 == arm64_artifact.sha256
    assert again.path.read_bytes() == arm64_artifact.path.read_bytes()


def test_entries_are_sorted_with_fixed_times_and_permissions(arm64_artifact: Artifact) -> None:
    with zipfile.ZipFile(arm64_artifact.path) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert {info.date_time for info in infos} == {FIXED_TIME}
    assert {info.external_attr for info in infos} == {FILE_MODE}
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_it_holds_the_server_the_hand_off_package_and_the_entry_point(arm64_artifact: Artifact) -> None:
    with zipfile.ZipFile(arm64_artifact.path) as archive:
        names = set(archive.namelist())
        entry = archive.read(ENTRY_FILE).decode()
    assert {"server/__main__.py", "server/app.py", "handoff/config.py", "handoff/sessions.py"} <= names
    assert "from server.__main__ import main" in entry
    assert any(name.startswith("mcp/") for name in names) and any(name.startswith("pydantic/") for name in names)
    assert not any(name.startswith(("reconciler/", "sandbox/", "callback/", "moto/", "bin/")) for name in names)


def test_a_name_given_twice_is_refused(tmp_path: Path) -> None:
    try:
        write_zip(tmp_path / "x.zip", [("a.py", b"1"), ("a.py", b"2")])
    except ValueError as exc:
        assert "a.py" in str(exc)
    else:
        raise AssertionError("a duplicate archive path was accepted")


def test_the_s3_key_is_the_content_hash(arm64_artifact: Artifact) -> None:
    assert arm64_artifact.key("stack/artifacts/") == f"stack/artifacts/{arm64_artifact.sha256}.zip"
    assert arm64_artifact.key("") == f"{arm64_artifact.sha256}.zip"


def test_two_package_caches_make_the_same_zip(arm64_artifact: Artifact, tmp_path: Path) -> None:
    """Issue 24: a wheel's RECORD lists its console scripts with the hash of their shebang, which names the folder
    uv installed into, so another machine's (or a fresh cache's) zip differed and its plan showed a code update."""
    again = build(tmp_path / "another-cache")
    assert not again.cached and again.sha256 == arm64_artifact.sha256
    with zipfile.ZipFile(again.path) as archive:
        records = [name for name in archive.namelist() if name.endswith(".dist-info/RECORD")]
        lines = [line for name in records for line in archive.read(name).splitlines()]
    assert records and not [line for line in lines if line.startswith((b"bin/", b"../"))]
