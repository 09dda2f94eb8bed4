"""Only plan and apply package the server (the zip is what they compare and upload); validate, unlock,
output, stacks, destroy and plan --destroy build nothing; and a second plan in one process reuses the
artifact of the first instead of scanning, packaging and hashing again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler import packaging
from reconciler.packaging import archive, dependencies
from sandbox.server import Sandbox
from tests.conftest import reconcile


def refuse_to_package(**_: Any) -> None:
    raise AssertionError("this command packaged the server")


NO_ZIP = [
    (("validate",), 0),
    (("plan", "--destroy"), 0),
    (("output", "--json"), 0),
    (("stacks",), 0),
    (("unlock", "no-such-lock"), 1),  # the stack is not locked
    (("adopt", "artifacts", "--auto-approve"), 0),  # already owned
    (("destroy", "--auto-approve"), 0),
]


def test_commands_that_need_no_zip_build_none(sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One applied stack for all of them (destroy last): each would otherwise apply it again."""
    assert reconcile("apply", "--auto-approve").exit_code == 0
    monkeypatch.setattr(packaging, "package_server", refuse_to_package)
    for args, exit_code in NO_ZIP:
        result = reconcile(*args)
        assert result.exit_code == exit_code, (args, result.output)
        assert "packaging" not in result.output and "packaged the server" not in result.output, (args, result.output)
    assert "Destroy complete" in result.output


def test_validate_of_the_shipped_stack_prints_no_packaging_line(sandbox: Sandbox, workdir: Path) -> None:
    result = reconcile("validate")
    assert result.exit_code == 0, result.output
    assert "valid" in result.output and "packaging" not in result.output


def test_plan_and_apply_package_the_server(sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packaging, "package_server", refuse_to_package)
    for args in (("plan",), ("apply", "--auto-approve")):
        result = reconcile(*args)
        assert result.exit_code == 1 and "packaged the server" in result.output, result.output


def test_a_second_plan_in_one_process_builds_nothing(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert reconcile("plan").exit_code == 0
    calls: list[str] = []

    def counted(name: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(dependencies, "root_requirements", counted("scan", dependencies.root_requirements))
    monkeypatch.setattr(archive, "sha256_of", counted("hash", archive.sha256_of))
    second = reconcile("plan")
    assert second.exit_code == 0, second.output
    assert "unchanged, cached zip" in second.output
    assert calls == []
