"""Packaging the server for AgentCore Runtime: cold, code-changed and cached times, and the zip's size.

For each platform (linux arm64 for AWS, the host for the sandbox), in a fresh packaging cache:
- cold: dependencies installed by uv (wheels from uv's cache; `--cold-uv` empties that too, which
  downloads from PyPI) and the zip written;
- code change: one server file changed, so the zip is rebuilt around cached dependencies;
- cached: nothing changed, the floor: hashing the sources and finding the zip.

    uv run python bench/packaging.py [--rounds 3] [--cold-uv]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reconciler.packaging import AWS_ARM64, Artifact, Platform, host, package_server  # noqa: E402


def timed(action: Callable[[], Artifact]) -> tuple[float, Artifact]:
    started = time.perf_counter()
    artifact = action()
    return time.perf_counter() - started, artifact


def copy_project(target: Path) -> Path:
    for name in ("server", "handoff"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy2(ROOT / name, target / name)
    return target


def one_round(platform: Platform, scratch: Path) -> dict[str, float]:
    project = copy_project(scratch / "project")
    cache = scratch / "cache"

    def build() -> Artifact:
        return package_server(project_root=project, platform=platform, cache_dir=cache, progress=lambda _: None)

    cold, artifact = timed(build)
    changed_file = project / "server" / "app.py"
    changed_file.write_text(changed_file.read_text() + "\n# bench\n")
    changed, _ = timed(build)
    cached, again = timed(build)
    assert again.cached and not artifact.cached
    return {"cold": cold, "changed": changed, "cached": cached, "size": artifact.size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cold-uv", action="store_true", help="an empty uv cache each round (downloads wheels)")
    options = parser.parse_args()
    for platform in (AWS_ARM64, host()):
        rounds = []
        for _ in range(options.rounds):
            with tempfile.TemporaryDirectory() as scratch:
                if options.cold_uv:
                    os.environ["UV_CACHE_DIR"] = str(Path(scratch) / "uv-cache")
                rounds.append(one_round(platform, Path(scratch)))
        median = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
        print(
            f"{platform.label:32} cold {median['cold'] * 1000:7.0f} ms   code change {median['changed'] * 1000:6.0f} ms"
            f"   cached {median['cached'] * 1000:5.0f} ms   zip {median['size'] / 1e6:5.1f} MB"
            f"   (median of {options.rounds}; cached/cold = {median['cached'] / median['cold']:.3f})"
        )


if __name__ == "__main__":
    main()
