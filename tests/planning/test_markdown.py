"""The markdown plan (pull-request comment / job summary): valid, destroys first, bounded."""

from __future__ import annotations

from pathlib import Path

from markdown_it import MarkdownIt

from reconciler.live import LiveState, Orphan
from reconciler.planning import plan_changes
from reconciler.rendering import format_markdown, plan_document
from reconciler.rendering.markdown import LIMIT
from reconciler.stack import load_stack
from tests.planning.test_golden import ENV, applied, copy_stack, render

PARSER = MarkdownIt("commonmark")


def fences(markdown: str) -> list[str]:
    return [t.info for t in PARSER.parse(markdown) if t.type == "fence"]


def test_markdown_is_valid_and_puts_replacements_first(tmp_path: Path) -> None:
    _, document = render("switch-authorizer", tmp_path)
    markdown = format_markdown(document, context={"region": "us-east-1", "commit": "0123456789ab"})
    # One comment per pull request and stack, found by its marker; the heading says what was planned where.
    assert markdown.startswith(
        "<!-- reconcile-plan: github-mcp -->\n#### reconcile plan: stack `github-mcp` in `us-east-1` at `0123456789ab`\n"
    )
    # The replaced gateway updates what references it: the runtime role's policy and the runtime's hand_off.
    assert "\n**Plan: 0 to add, 2 to change, 2 to replace, 0 to destroy.**\n" in markdown
    assert "> - `gateway.gateway` (replace: authorizer.type cannot be changed in place)" in markdown
    assert fences(markdown) == ["diff"] * 4
    assert markdown.count("<details>") == markdown.count("</details>") == 4
    assert '\n~       type: "CUSTOM_JWT" -> "AWS_IAM"  # forces replacement\n' in markdown  # marker in column 0


def test_destroys_come_first_and_secrets_stay_redacted(tmp_path: Path) -> None:
    stack = load_stack(copy_stack(tmp_path / "s") / "stack.yaml", ENV)
    live = applied(stack)
    removed = live.resources.pop("runtime_role")
    assert removed is not None
    live = LiveState(resources=live.resources, orphans=[Orphan("iam_role", removed)])
    live.resources.pop("github")
    markdown = format_markdown(plan_document(plan_changes(stack, live)))
    deleted, created = markdown.index("removed.github-mcp-runtime-role</code>"), markdown.index("github</code>")
    assert deleted < created  # the destroy's block comes before the create's
    assert ENV["GITHUB_CLIENT_SECRET"] not in markdown and '"(sensitive)"' in markdown


def test_two_hundred_resources_stay_under_githubs_limit(tmp_path: Path) -> None:
    folder = copy_stack(tmp_path / "big")
    roles = "".join(
        f"  role_{i:03}:\n    kind: iam_role\n    description: generated role {i} {'x' * 200}\n"
        "    assume_role_policy: {Version: '2012-10-17', Statement: []}\n"
        for i in range(200)
    )
    stack_file = folder / "stack.yaml"
    stack_file.write_text(stack_file.read_text().replace("resources:\n", "resources:\n" + roles, 1))
    markdown = format_markdown(plan_document(plan_changes(load_stack(stack_file, ENV), LiveState())))
    assert len(markdown) <= LIMIT
    assert "more resource change(s) not shown" in markdown.splitlines()[-1]
    assert markdown.count("<details>") == markdown.count("</details>") == len(fences(markdown)) > 0
