"""Built packages shared by the packaging tests (uv's wheel cache makes every build after the first offline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.packaging import AWS_ARM64, Artifact, host, package_server

ROOT = Path(__file__).resolve().parents[2]


def build(cache: Path, *, platform: str = "arm64", root: Path = ROOT, messages: list[str] | None = None) -> Artifact:
    target = AWS_ARM64 if platform == "arm64" else host()
    return package_server(
        project_root=root, platform=target, cache_dir=cache, progress=(messages if messages is not None else []).append
    )


@pytest.fixture(scope="session")
def arm64_artifact(tmp_path_factory: pytest.TempPathFactory) -> Artifact:
    return build(tmp_path_factory.mktemp("packaging-arm64"))


@pytest.fixture(scope="session")
def host_artifact(tmp_path_factory: pytest.TempPathFactory) -> Artifact:
    return build(tmp_path_factory.mktemp("packaging-host"), platform="host")
