"""Wheels are resolved for the target platform, never the host's (issue 14)."""

from __future__ import annotations

import platform
import zipfile

from reconciler.packaging import Artifact
from tests.packaging.elf import EM_AARCH64, EM_X86_64, elf_machine


def _machines(artifact: Artifact) -> dict[str, int]:
    with zipfile.ZipFile(artifact.path) as archive:
        return {
            name: machine
            for name in archive.namelist()
            if ".so" in name.rsplit("/", 1)[-1] and (machine := elf_machine(archive.read(name))) is not None
        }


def test_the_arm64_zip_holds_pydantic_cores_aarch64_build(arm64_artifact: Artifact) -> None:
    machines = _machines(arm64_artifact)
    pydantic_core = [name for name in machines if name.startswith("pydantic_core/_pydantic_core.")]
    assert pydantic_core == ["pydantic_core/_pydantic_core.cpython-312-aarch64-linux-gnu.so"]
    assert machines[pydantic_core[0]] == EM_AARCH64


def test_the_arm64_zip_has_no_host_only_binary(arm64_artifact: Artifact) -> None:
    machines = _machines(arm64_artifact)
    assert len(machines) >= 3  # pydantic-core, cryptography, rpds-py at least
    assert {name: m for name, m in machines.items() if m != EM_AARCH64} == {}
    with zipfile.ZipFile(arm64_artifact.path) as archive:
        tags = [name for name in archive.namelist() if "x86_64" in name or "amd64" in name or name.endswith(".pyd")]
    assert tags == []
    assert arm64_artifact.platform.runtime == "PYTHON_3_12"


def test_the_host_zip_holds_binaries_this_machine_can_load(host_artifact: Artifact) -> None:
    expected = {"x86_64": EM_X86_64, "aarch64": EM_AARCH64, "arm64": EM_AARCH64}[platform.machine().lower()]
    assert set(_machines(host_artifact).values()) == {expected}
