"""Where a package will run: the wheels' platform and the Python version they are resolved for.

AgentCore Runtime runs direct-code deployments on linux arm64 (AWS_FACTS.md, "AgentCore Runtime"),
so `AWS_ARM64` is the platform for AWS; the sandbox runs the package on this machine, whose
compiled wheels (pydantic-core) are the only ones that load here, hence `host()`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    """`uv_platform` is uv's `--python-platform` value; None means the host's own platform."""

    python_version: str
    uv_platform: str | None = None

    @property
    def label(self) -> str:
        return f"{self.uv_platform or 'host'}-py{self.python_version}"

    @property
    def runtime(self) -> str:
        """The Runtime's `codeConfiguration.runtime` value (botocore enum AgentManagedRuntimeType)."""
        return "PYTHON_" + self.python_version.replace(".", "_")

    @property
    def lambda_runtime(self) -> str:
        """Lambda's `Runtime` for the same Python (botocore enum Runtime: python3.12)."""
        return f"python{self.python_version}"

    def uv_options(self) -> list[str]:
        options = ["--python-version", self.python_version, "--only-binary", ":all:"]
        return [*options, "--python-platform", self.uv_platform] if self.uv_platform else options


# manylinux_2_28 is the newest glibc baseline pydantic-core and cryptography publish arm64 wheels for;
# the Runtime's glibc is newer (UNCONFIRMED: AWS documents only "linux/arm64").
AWS_ARM64 = Platform(python_version="3.12", uv_platform="aarch64-manylinux_2_28")


def host() -> Platform:
    """This machine, with the running interpreter's version: what the sandbox can execute."""
    return Platform(python_version=f"{sys.version_info.major}.{sys.version_info.minor}")
