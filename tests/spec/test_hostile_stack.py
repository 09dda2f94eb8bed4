"""Hostile stack files (a pull request's plan runs whatever it is given): 9 inputs, each refused
quickly with a clean diagnostic at file:line, never a traceback, never foreign file content echoed.

Inputs: an alias bomb, a single alias, a 2 MB file, 100k-deep nesting, a Python tag, openapi: /etc/passwd,
openapi: ../../ escaping the folder, openapi: naming a device (/dev/zero via a symlink in the folder),
and a stack file that is not UTF-8.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import STACK_ENV, edit_stack, reconcile

ALIAS_BOMB = """stack: bomb
a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
resources: {}
"""


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in STACK_ENV.items():
        monkeypatch.setenv(key, value)


def refused(*, within: float = 60.0) -> str:
    """`within` guards against a hang (an expanded alias bomb never ends), not for speed: under a loaded machine
    a 2 s bound failed on a refusal that had worked."""
    started = time.monotonic()
    result = reconcile("validate")
    assert time.monotonic() - started < within
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    return result.output


def test_alias_bomb(workdir: Path) -> None:
    (workdir / "stack.yaml").write_text(ALIAS_BOMB)
    assert "stack.yaml:3" in refused() and "aliases (*name) are not allowed" in refused()


def test_a_single_alias_names_its_line(workdir: Path) -> None:
    edit_stack(workdir, "    vendor: GithubOauth2", "    vendor: &v GithubOauth2\n    client_id: *v")
    out = refused()
    assert "aliases (*name) are not allowed" in out and "stack.yaml:" in out


def test_oversized_file(workdir: Path) -> None:
    (workdir / "stack.yaml").write_text("stack: big\n# " + "x" * 2_000_000 + "\nresources: {}\n")
    assert "at most 1048576 are read" in refused()


def test_deep_nesting(workdir: Path) -> None:
    (workdir / "stack.yaml").write_text("stack: deep\nresources: " + "[" * 100_000 + "]" * 100_000 + "\n")
    out = refused()
    assert "nested more than 64 levels deep" in out and "stack.yaml:2" in out


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../../../etc/passwd", "/proc/self/environ"])
def test_openapi_outside_the_folder(workdir: Path, target: str) -> None:
    edit_stack(workdir, "openapi: openapi/github.yaml", f"openapi: {target}")
    out = refused()
    assert "points outside the stack's folder" in out and "root:" not in out


def test_openapi_naming_a_device(workdir: Path) -> None:
    (workdir / "openapi" / "zero.yaml").symlink_to("/dev/zero")
    edit_stack(workdir, "openapi: openapi/github.yaml", "openapi: openapi/zero.yaml")
    out = refused()
    # resolved, the link leaves the folder: refused before anything is read
    assert "points outside the stack's folder" in out


def test_stack_that_is_not_text(workdir: Path) -> None:
    (workdir / "stack.yaml").write_bytes(b"stack: x\n\xff\xfe\x00garbage")
    assert "it is not UTF-8 text" in refused()


def test_a_python_tag_is_refused_not_run(workdir: Path) -> None:
    """SafeLoader's constructors only: a tag naming Python code is a YAML error at its line, never a call."""
    edit_stack(workdir, "    vendor: GithubOauth2", "    vendor: !!python/object/apply:os.system ['touch pwned']")
    out = refused()
    line = (
        (workdir / "stack.yaml")
        .read_text()
        .splitlines()
        .index("    vendor: !!python/object/apply:os.system ['touch pwned']")
    )
    assert (
        f"stack.yaml:{line + 1}" in out
        and "the YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed" in out
    )
    assert not (workdir / "pwned").exists()
