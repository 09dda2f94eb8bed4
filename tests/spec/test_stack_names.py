"""`${stack.name}` and `${stack.identifier}`: the names a stack writes out (log groups in its roles' policies, the
callback's parameter path, the artifact bucket's default) follow its `stack:`, so a second stack in the same
account (staging beside production) is the shipped file with one line changed, not every `github-mcp` in it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.diagnostics import DiagnosticsError
from reconciler.spec.interpolation import InterpolationError, substitute_load_time
from reconciler.stack import load_stack
from tests.conftest import STACK_ENV, edit_stack


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in STACK_ENV.items():
        monkeypatch.setenv(key, value)
    for key in ("CALLBACK_URL", "ARTIFACT_BUCKET"):
        monkeypatch.delenv(key, raising=False)


def test_the_attributes_resolve_at_load_time_in_defaults_too() -> None:
    assert substitute_load_time("/${stack.name}/x", {}, {}, "team-a") == "/team-a/x"
    assert substitute_load_time("${stack.identifier}_server-*", {}, {}, "team-a") == "team_a_server-*"
    assert substitute_load_time("${env:B:-${stack.name}-artifacts}", {}, {}, "team-a") == "team-a-artifacts"
    assert substitute_load_time("${env:B:-${stack.name}-artifacts}", {}, {"B": "mine"}, "team-a") == "mine"
    with pytest.raises(InterpolationError, match=r"no attribute 'arn'; use \$\{stack.name\} \(team-a\)"):
        substitute_load_time("${stack.arn}", {}, {}, "team-a")


def test_a_renamed_stack_writes_out_no_name_of_the_shipped_one(workdir: Path) -> None:
    edit_stack(workdir, "stack: github-mcp\n", "stack: team-a\n")
    stack = load_stack(workdir / "stack.yaml", build=False)
    written = json.dumps({r.logical: [r.name, r.spec] for r in stack.resources.values()}, default=str)
    assert "github-mcp" not in written and "github_mcp" not in written
    runtime_role = json.dumps(stack.resources["runtime_role"].spec["policy"])
    assert "/aws/bedrock-agentcore/runtimes/team_a_server-*" in runtime_role  # the runtime's id: team_a_server-…
    assert stack.resources["callback_config"].name == "/team-a/callback-config"
    assert (
        stack.resources["callback"].spec["environment"]["OAUTH_CALLBACK_CONFIG_PARAMETER"] == "/team-a/callback-config"
    )
    assert stack.resources["artifacts"].name == "team-a-artifacts"


def test_the_shipped_stack_resolves_to_its_own_names(workdir: Path) -> None:
    stack = load_stack(workdir / "stack.yaml", build=False)
    assert stack.resources["callback_config"].name == "/github-mcp/callback-config"
    assert "log-group:/aws/lambda/github-mcp-callback:*" in json.dumps(stack.resources["callback_role"].spec)


def test_an_unknown_attribute_is_refused_at_its_line(workdir: Path) -> None:
    edit_stack(workdir, "name: /${stack.name}/callback-config", "name: /${stack.title}/callback-config")
    with pytest.raises(DiagnosticsError) as caught:
        load_stack(workdir / "stack.yaml", build=False)
    (found,) = caught.value.diagnostics
    line = (workdir / "stack.yaml").read_text().splitlines().index("    name: /${stack.title}/callback-config") + 1
    assert "no attribute 'title'" in found.summary and found.line == line


def test_no_resource_may_be_named_stack(workdir: Path) -> None:
    edit_stack(workdir, "\n  sessions:\n", "\n  stack:\n")
    edit_stack(workdir, "${sessions.", "${stack.")
    with pytest.raises(DiagnosticsError) as caught:
        load_stack(workdir / "stack.yaml", build=False)
    assert any("resource name 'stack' is taken" in d.summary for d in caught.value.diagnostics)


@pytest.mark.parametrize("lenient", [False, True], ids=["strict", "lenient"])
def test_an_expression_from_the_environment_is_refused_not_a_dependency(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, lenient: bool
) -> None:
    """A value that comes from the environment is not read for ${stack.*}: a clean refusal, never a dependency on a
    resource named `stack` (which crashed plan and destroy)."""
    monkeypatch.setenv("PARAMETER", "/${stack.name}/callback-config")
    edit_stack(workdir, "name: /${stack.name}/callback-config", "name: ${env:PARAMETER}")
    with pytest.raises(DiagnosticsError) as caught:
        load_stack(workdir / "stack.yaml", build=False, lenient=lenient)
    (found,) = caught.value.diagnostics
    assert found.summary == "${stack.name} is not substituted here" and found.key == "resources.callback_config.name"


def test_destroy_substitutes_the_names_when_another_expression_fails(workdir: Path) -> None:
    """Lenient loading (destroy) keeps a value whose variable is unset, with the stack's names substituted."""
    edit_stack(workdir, "name: /${stack.name}/callback-config", "name: /${stack.name}/${env:UNSET_PART}")
    stack = load_stack(workdir / "stack.yaml", build=False, lenient=True)
    assert stack.resources["callback_config"].name == "/github-mcp/${env:UNSET_PART}"
    assert "stack" not in stack.order()


def test_destroy_loads_a_resource_missing_a_required_key(workdir: Path) -> None:
    """Lenient loading (destroy) needs only names, kinds and references: a missing key is tolerated, not a crash."""
    path = workdir / "stack.yaml"
    text = path.read_text()
    cut = text.rindex("    hand_off:\n")  # callback_config's, the file's last resource: a required key
    path.write_text(text[:cut])
    stack = load_stack(path, build=False, lenient=True)
    assert stack.resources["callback_config"].spec["hand_off"] is None
    with pytest.raises(DiagnosticsError, match="missing required key 'hand_off'"):
        load_stack(path, build=False)
