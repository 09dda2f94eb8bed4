"""The container images for those who host mcp-server and oauth-callback themselves (docker/).

Always: each Dockerfile copies exactly the packages its program imports (read from the code), runs as a
numeric non-root user, builds from multi-arch slim images with pinned tags, and installs from uv.lock
frozen. With a container engine at hand (`docker info` answers): each image is built for this machine's
platform and runs its `--help` as that user. Without one, that test is skipped and says why.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {"commands", "demo", "sandbox", "reconciler", "server", "callback", "handoff"}
PROGRAMS = {"mcp-server": "server", "oauth-callback": "callback"}


def dockerfile(program: str) -> str:
    return (ROOT / "docker" / f"{program}.Dockerfile").read_text()


def imported_packages(package: str, seen: set[str] | None = None) -> set[str]:
    """Our packages that `package` needs, following its imports (also the lazy ones) transitively."""
    seen = seen if seen is not None else set()
    if package in seen:
        return seen
    seen.add(package)
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in OURS:
                    imported_packages(top, seen)
    return seen


@pytest.mark.parametrize("program", PROGRAMS)
def test_the_image_holds_exactly_what_the_program_imports(program: str) -> None:
    copied = set(re.findall(r"^COPY --from=build /src/(\w+) /app/\1$", dockerfile(program), re.MULTILINE))
    assert copied == imported_packages(PROGRAMS[program])


@pytest.mark.parametrize("program", PROGRAMS)
def test_the_image_is_slim_non_root_pinned_and_frozen(program: str) -> None:
    text = dockerfile(program)
    bases = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert bases and all(b.startswith("python:${PYTHON_VERSION}-slim") for b in bases)
    assert re.search(r"^ARG PYTHON_VERSION=3\.1[2-9]$", text, re.MULTILINE)
    assert "uv:latest" not in text and re.search(r"ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+ ", text)
    assert "uv sync --frozen --no-dev" in text
    users = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert users and users[-1].isdigit() and int(users[-1]) != 0
    assert text.rstrip().splitlines()[-1].startswith("ENTRYPOINT")
    assert text.index(f"USER {users[-1]}") > text.rindex("RUN ")  # nothing runs as root after the switch


def engine() -> str | None:
    docker = shutil.which("docker")
    if docker is None:
        return None
    answered = subprocess.run([docker, "info"], capture_output=True, timeout=30)
    return docker if answered.returncode == 0 else None


@pytest.mark.parametrize("program", PROGRAMS)
def test_the_image_builds_and_runs_as_its_user(program: str) -> None:
    docker = engine()
    if docker is None:
        pytest.skip("no container engine answers here (`docker info` fails or docker is not installed)")
    tag = f"agentcore-stack-test/{program}:ci"
    build = [docker, "build", "-f", str(ROOT / "docker" / f"{program}.Dockerfile"), "-t", tag, str(ROOT)]
    subprocess.run(build, check=True, timeout=1800)
    helped = subprocess.run([docker, "run", "--rm", tag, "--help"], capture_output=True, text=True, timeout=120)
    assert helped.returncode == 0 and "Usage" in helped.stdout, helped.stderr
    uid = subprocess.run(
        [docker, "run", "--rm", "--entrypoint", "id", tag, "-u"], capture_output=True, text=True, timeout=120
    )
    assert uid.stdout.strip() == "10001"
