"""The pure core is pure when it runs too, not only on import-linter's graph: a fresh interpreter that imports
the plan, planning, ordering, diffing, drift and rendering has loaded no AWS SDK and nothing that reads AWS
(pyproject.toml's forbidden contract says the same of the import statements)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

PURE = ["plan", "planning", "ordering", "diffing", "drifting", "rendering"]
FORBIDDEN = ("boto3", "botocore", "reconciler.aws", "reconciler.reading")


def test_the_pure_core_loads_no_aws_sdk_and_no_reader() -> None:
    code = "import sys\n" + "".join(f"import reconciler.{m}\n" for m in PURE) + "print(*sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    modules = done.stdout.split()
    assert [m for m in modules if m in FORBIDDEN or m.startswith(tuple(f"{f}." for f in FORBIDDEN))] == []
    assert "reconciler.planning" in modules  # the probe did import them
