"""Golden plans: the pure planner and renderers (no AWS, no sandbox) on edits of the shipped stack.

The live state is the shipped stack as if applied (each resource's desired document, with made-up
ids and ARNs); each case edits a copy of stack.yaml / openapi/github.yaml and plans against it. The
text plan (no colour) and the JSON plan are compared with files in golden/, which a reviewer can
read to see each edit rendered truthfully. `UPDATE_GOLDEN=1 uv run pytest tests/planning` rewrites them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.live import Live, LiveState
from reconciler.planning import plan_changes
from reconciler.rendering import format_text, plan_document
from reconciler.spec.interpolation import Ref, resolve_refs
from reconciler.stack import Stack, load_stack
from tests.shipped_stack import without_hosted_callback

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("golden")
ENV = {
    "GITHUB_CLIENT_ID": "Iv1.golden",
    "GITHUB_CLIENT_SECRET": "golden-secret",
    "OIDC_DISCOVERY_URL": "https://issuer.example.com/.well-known/openid-configuration",
    "OIDC_CLIENT_ID": "mcp-client",
    "SERVER_SOURCE": str(ROOT),
}
Edit = Callable[[Path, dict[str, str]], None]
ZIP_HASH = re.compile(r"\b[0-9a-f]{64}\b")


def replace_in(name: str, old: str, new: str) -> Edit:
    def edit(workdir: Path, env: dict[str, str]) -> None:
        path = workdir / name
        text = path.read_text()
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, 1))

    return edit


def set_env(**values: str) -> Edit:
    def edit(workdir: Path, env: dict[str, str]) -> None:
        env.update(values)
        for key in [k for k, v in values.items() if v == ""]:
            env.pop(key)

    return edit


DOTTED_KEY = replace_in("openapi/github.yaml", "  /user:\n", "  /v1.0/user:\n")
CASES: dict[str, tuple[Edit | None, Edit]] = {
    "add-policy-action": (
        None,
        replace_in(
            "stack.yaml",
            "          Action: bedrock-agentcore:GetResourceOauth2Token\n",
            "          Action: [bedrock-agentcore:GetResourceOauth2Token, bedrock-agentcore:GetResourceApiKey]\n",
        ),
    ),
    "remove-policy-action": (None, replace_in("stack.yaml", "logs:CreateLogGroup, ", "")),
    "reorder-policy-actions": (
        None,
        replace_in(
            "stack.yaml",
            "[logs:CreateLogStream, logs:PutLogEvents]",
            "[logs:PutLogEvents, logs:CreateLogStream]",
        ),
    ),
    "add-statement-in-the-middle": (
        None,
        replace_in(
            "stack.yaml",
            "        - Sid: Sessions\n",
            "        - Sid: Metrics\n          Effect: Allow\n          Action: cloudwatch:PutMetricData\n"
            '          Resource: "*"\n        - Sid: Sessions\n',
        ),
    ),
    "add-allowed-client": (None, set_env(OIDC_CLIENT_ID="mcp-client,cli")),
    "remove-allowed-client": (set_env(OIDC_CLIENT_ID="mcp-client,cli"), set_env(OIDC_CLIENT_ID="mcp-client")),
    "change-openapi-leaf": (
        None,
        replace_in("openapi/github.yaml", "summary: Get the authenticated user's profile", "summary: Who am I"),
    ),
    "add-openapi-operation": (
        None,
        replace_in(
            "openapi/github.yaml",
            "  /user/repos:\n",
            "  /user/emails:\n    get:\n      operationId: listEmails\n      summary: List the user's email addresses\n"
            "      responses:\n        '200':\n          description: The addresses\n  /user/repos:\n",
        ),
    ),
    "change-under-openapi-key-with-a-dot": (
        DOTTED_KEY,
        replace_in("openapi/github.yaml", "summary: Get the authenticated user's profile", "summary: Who am I"),
    ),
    "switch-authorizer": (
        None,
        set_env(GATEWAY_AUTHORIZER="AWS_IAM", SINGLE_USER="true", OIDC_DISCOVERY_URL="", OIDC_CLIENT_ID=""),
    ),
}


def copy_stack(to: Path) -> Path:
    to.mkdir()
    # The planner's and renderers' cases: the shipped stack without its hosted callback (tests/shipped_stack.py).
    (to / "stack.yaml").write_text(without_hosted_callback((ROOT / "stack.yaml").read_text()))
    shutil.copytree(ROOT / "openapi", to / "openapi")
    return to


def output(stack: Stack, state: LiveState, ref: Ref) -> Any:
    live = state.resources[ref.resource]
    assert live is not None
    return stack.kinds[stack.resources[ref.resource].kind].output(ref.resource, live, ref.attribute)


def applied(stack: Stack) -> LiveState:
    """The stack as if applied: each document as desired, ids and ARNs made up from the names."""
    state = LiveState()
    for logical in stack.order():
        decl, kind = stack.resources[logical], stack.kinds[stack.resources[logical].kind]
        spec = resolve_refs(decl.spec, lambda ref: output(stack, state, ref))
        outputs = {a: (decl.name if a == "name" else f"{a}:{decl.name}") for a in kind.attributes}
        state.resources[logical] = Live(decl.name, True, kind.desired(decl.name, spec, stack=stack.name), outputs)
    return state


def render(case: str, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    base_edit, edit = CASES[case]
    env = dict(ENV)
    before = copy_stack(tmp_path / "before")
    if base_edit:
        base_edit(before, env)
    live = applied(load_stack(before / "stack.yaml", env))
    after = copy_stack(tmp_path / "after")
    if base_edit:
        base_edit(after, env)
    edit(after, env)
    document = plan_document(plan_changes(load_stack(after / "stack.yaml", env), live))
    # The server's zip is named by its content hash, which every change to server/ or uv.lock moves.
    masked = json.loads(ZIP_HASH.sub("<sha256>", json.dumps(document)))
    return ZIP_HASH.sub("<sha256>", format_text(document, colour=False)), masked


@pytest.mark.parametrize("case", list(CASES))
def test_plan_matches_golden(case: str, tmp_path: Path) -> None:
    text, document = render(case, tmp_path)
    expected_text, expected_json = GOLDEN / f"{case}.txt", GOLDEN / f"{case}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        expected_text.write_text(text + "\n")
        expected_json.write_text(json.dumps(document, indent=2) + "\n")
    assert text + "\n" == expected_text.read_text()
    assert document == json.loads(expected_json.read_text())


def test_reordering_a_set_is_no_change(tmp_path: Path) -> None:
    text, document = render("reorder-policy-actions", tmp_path)
    assert text == "No changes. The live stack matches the spec."
