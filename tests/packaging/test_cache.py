"""Packaging is cached: an unchanged server is found, a code change reinstalls no dependency."""

from __future__ import annotations

import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from reconciler.packaging import dependencies
from reconciler.packaging.dependencies import root_requirements
from tests.packaging.conftest import ROOT, build


def _copy_project(target: Path) -> Path:
    for name in ("server", "handoff"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy2(ROOT / name, target / name)
    return target


def test_an_unchanged_server_is_the_cached_zip(tmp_path: Path) -> None:
    first = build(tmp_path / "cache")
    messages: list[str] = []
    second = build(tmp_path / "cache", messages=messages)
    assert second.cached and second.sha256 == first.sha256
    assert messages == [m for m in messages if "unchanged, cached zip" in m or m.startswith("skipped ")] and messages


def test_a_code_change_is_a_new_zip_without_reinstalling(tmp_path: Path) -> None:
    project = _copy_project(tmp_path / "project")
    before = build(tmp_path / "cache", root=project)
    (project / "server" / "app.py").write_text((project / "server" / "app.py").read_text() + "\n# changed\n")
    messages: list[str] = []
    after = build(tmp_path / "cache", root=project, messages=messages)
    assert after.sha256 != before.sha256 and not after.cached
    assert any("dependencies cached" in m for m in messages)
    assert not any("installing" in m for m in messages)


def test_the_roots_are_what_the_server_and_hand_off_import() -> None:
    roots = root_requirements(ROOT, [ROOT / "server", ROOT / "handoff"])
    names = {root.split("[")[0].split(">")[0].split("=")[0].split("<")[0] for root in roots}
    assert {"mcp", "pydantic", "httpx", "uvicorn", "starlette", "click", "botocore"} <= names
    assert "pyjwt[crypto]>=2.9" in roots  # extras as the project declares them
    assert not names & {"moto", "deepdiff", "werkzeug", "openapi-spec-validator"}  # reconciler/sandbox only


def test_a_declared_dependency_named_only_in_a_string_is_a_root(tmp_path: Path) -> None:
    """uvicorn imports its loop and HTTP implementations by name (`loop="uvloop"`): no import statement shows them."""
    project = _copy_project(tmp_path / "project")
    (project / "server" / "serving_by_name.py").write_text('OPTIONS = {"loop": "uvloop", "http": "httptools"}\n')
    roots = root_requirements(project, [project / "server", project / "handoff"])
    assert {"uvloop>=0.23.0", "httptools>=0.9.0"} <= set(roots)
    assert not [root for root in roots if root.startswith(("moto", "werkzeug"))]  # undeclared-or-unnamed stay out


def test_two_builds_of_the_same_tree_at_once_both_succeed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two test workers (or two applies) installing the same dependency tree at once: both installs finish
    before either renames its tree into place (a barrier), so the second rename meets the first's tree (a
    directory only replaces an empty one) and uses it instead of failing."""
    project = _copy_project(tmp_path / "project")
    real_install, barrier = dependencies.install, threading.Barrier(2, timeout=300)

    def install_then_wait(target: Path, **kwargs: Any) -> str:
        try:
            summary = real_install(target, **kwargs)
        except BaseException:
            barrier.abort()  # the other build fails at once (BrokenBarrierError) instead of waiting out the timeout
            raise
        barrier.wait()
        return summary

    monkeypatch.setattr(dependencies, "install", install_then_wait)
    with ThreadPoolExecutor(2) as pool:
        builds = [pool.submit(build, tmp_path / "cache", root=project) for _ in range(2)]
        artifacts = [b.result() for b in builds]
    assert artifacts[0].sha256 == artifacts[1].sha256 and artifacts[0].path.exists()
    assert len([p for p in (tmp_path / "cache" / "deps").iterdir() if p.is_dir()]) == 1
