"""`reconcile validate` (and every command) on good and bad stack files: exit 1, file:line and
key for each problem, no traceback, and no AWS call."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import edit_stack, reconcile


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import STACK_ENV

    for key, value in STACK_ENV.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(autouse=True)
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(**_: object) -> None:
        raise AssertionError("validation must not reach AWS")

    monkeypatch.setattr("reconciler.engine.make_clients", refuse)


def test_shipped_stack_is_valid(workdir: Path) -> None:
    result = reconcile("validate")
    assert result.exit_code == 0, result.output
    assert "valid" in result.output and "15 resources" in result.output


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


STACK_CASES = [
    pytest.param("stack: github-mcp", "stack: github-mcp\n  bad: [", "not valid YAML", id="malformed-yaml"),
    pytest.param(
        "    vendor: GithubOauth2",
        "    vendor: GithubOauth2\n    colour: blue",
        "unknown key 'colour'",
        id="unknown-key",
    ),
    pytest.param(
        "  gateway:\n    kind: gateway", "  gateway:\n    kind: gateway\n    protocol: 7", "protocol", id="wrong-type"
    ),
    pytest.param(
        "client_id: ${env:GITHUB_CLIENT_ID}",
        "client_id: ${env:NOT_SET_ANYWHERE}",
        "NOT_SET_ANYWHERE is not set",
        id="missing-env",
    ),
    pytest.param(
        "    name: GitHubTarget", "    name: GitHub_Target", "not valid for gateway_target", id="bad-name-pattern"
    ),
    pytest.param("gateway: ${gateway.id}", "gateway: ${gatewy.id}", "names no resource", id="dangling-reference"),
    pytest.param(
        "gateway: ${gateway.id}",
        "gateway: ${gateway.identifier}",
        "has no attribute 'identifier'",
        id="unknown-attribute",
    ),
    pytest.param(
        "    role_arn: ${gateway_role.arn}",
        "    role_arn: ${gateway_role.arn}\n    depends_on: [github_target]",
        "cycle",
        id="cyclic-reference",
    ),
    pytest.param("kind: oauth2_provider", "kind: oauth2_providr", "unknown kind", id="unknown-kind"),
    pytest.param(
        "      - ${sessions.hand_off}",
        "      - sessions",
        "is not a reference to a resource's hand-off",
        id="hand-off-name",
    ),
    pytest.param(
        "      - ${sessions.hand_off}",
        "      - ${artifacts.hand_off}",
        "has no attribute 'hand_off'",
        id="hand-off-of-a-kind-without-one",
    ),
    pytest.param(
        "      - ${sessions.hand_off}", '      - " ${sessions.hand_off}"', "is not a reference", id="hand-off-spaced"
    ),
    pytest.param(
        "    description: GitHub MCP server\n",
        '    description: "${gateway.hand_off}"\n',
        "is a part of config.json, not a value for this field",
        id="hand-off-elsewhere",
    ),
    pytest.param(
        "    hand_off:\n",
        "    environment:\n      MCP_SERVER_HANDOFF: '{}'\n    hand_off:\n",
        "MCP_SERVER_HANDOFF is set from hand_off",
        id="hand-off-variable-by-hand",
    ),
    pytest.param(
        "scopes: [repo, user]",
        'scopes: [repo, "${env:EXTRA_SCOPE:-}"]',
        "environment variable EXTRA_SCOPE is unset or empty",
        id="empty-list-item",
    ),
    pytest.param(
        "      default_return_url: ${var.callback_url}\n",
        "\n",
        "AUTHORIZATION_CODE needs default_return_url",
        id="no-return-url-for-user-consent",
    ),
]


@pytest.mark.parametrize(("old", "new", "message"), STACK_CASES)
@pytest.mark.parametrize("command", ["validate", "plan"])
def test_bad_stack_is_reported_with_file_and_line(
    workdir: Path, old: str, new: str, message: str, command: str
) -> None:
    edit_stack(workdir, old, new)
    result = reconcile(command)
    assert result.exit_code == 1
    assert message in result.output
    assert "stack.yaml:" in result.output
    assert "Traceback" not in result.output


def test_error_names_the_exact_line_and_key(workdir: Path) -> None:
    edit_stack(workdir, "    vendor: GithubOauth2", "    vendor: GithubOauth2\n    colour: blue")
    result = reconcile("validate")
    expected = line_of(workdir / "stack.yaml", "colour: blue")
    assert f"stack.yaml:{expected} (key resources.github.colour)" in result.output


def test_every_problem_is_listed_not_just_the_first(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_CLIENT_ID")
    monkeypatch.delenv("GITHUB_CLIENT_SECRET")  # validate needs no secret (a pull request's job has none)
    monkeypatch.setenv("SINGLE_USER", "maybe")
    result = reconcile("validate")
    assert result.exit_code == 1
    assert "GITHUB_CLIENT_ID is not set" in result.output and "'single_user'" in result.output
    assert "GITHUB_CLIENT_SECRET" not in result.output


def test_empty_list_item_names_its_line(workdir: Path) -> None:
    edit_stack(workdir, "scopes: [repo, user]", 'scopes:\n        - repo\n        - "${env:EXTRA_SCOPE:-}"')
    result = reconcile("validate")
    expected = line_of(workdir / "stack.yaml", "EXTRA_SCOPE")
    assert f"stack.yaml:{expected} (key resources.github_target.oauth.scopes.1)" in result.output


def test_a_list_may_come_whole_from_a_comma_separated_variable(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reconciler.stack import load_stack

    monkeypatch.setenv("OIDC_CLIENT_ID", "web, cli")
    authorizer = load_stack(workdir / "stack.yaml").resources["gateway"].spec["authorizer"]
    assert authorizer["allowed_clients"] == ["web", "cli"] and authorizer["allowed_audience"] == []


def test_rejected_secret_value_is_never_echoed(workdir: Path) -> None:
    edit_stack(workdir, "client_secret: ${env:GITHUB_CLIENT_SECRET}", "client_secret: 987654321")
    result = reconcile("validate")
    assert result.exit_code == 1
    assert "client_secret" in result.output
    assert "987654321" not in result.output


def test_debug_shows_the_traceback(workdir: Path) -> None:
    edit_stack(workdir, "gateway: ${gateway.id}", "gateway: ${gatewy.id}")
    result = reconcile("validate", "--debug")
    assert result.exit_code == 1 and "Traceback" in result.output


def test_missing_stack_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = reconcile("validate")
    assert result.exit_code == 1 and "cannot read stack.yaml" in result.output


OPENAPI_CASES = [
    pytest.param("openapi: 3.0.3", "openapi: 2.0", "OpenAPI version 2.0 is not supported", id="swagger-2"),
    pytest.param("      operationId: getAuthenticatedUser\n", "", "has no operationId", id="missing-operation-id"),
    pytest.param(
        "                  bio: {type: string, nullable: true}",
        "                  bio: {oneOf: [{type: string}, {type: integer}]}",
        "`oneOf` is not supported",
        id="oneOf",
    ),
    pytest.param(
        "                  bio: {type: string, nullable: true}",
        "                  bio: {$ref: '#/components/schemas/Bio'}",
        "$ref",
        id="ref",
    ),
    pytest.param(
        "          description: The authenticated user\n          content:\n            application/json:",
        "          description: The authenticated user\n          content:\n            text/plain:",
        "'text/plain' is not supported",
        id="text-plain",
    ),
    pytest.param(
        "  - url: https://api.github.com", "  - url: http://api.github.com", "real https server URL", id="http-server"
    ),
    pytest.param(
        "          in: query\n          description: Results per page",
        "          in: query\n          style: form\n          description: Results per page",
        "serializer `style`",
        id="serializer",
    ),
    pytest.param(
        "        - name: per_page\n          in: query",
        "        - name: per_page\n          in: cookies",
        "invalid OpenAPI",
        id="invalid-openapi",
    ),
]


@pytest.mark.parametrize(("old", "new", "message"), OPENAPI_CASES)
def test_bad_openapi_is_reported_with_its_own_file_and_line(workdir: Path, old: str, new: str, message: str) -> None:
    path = workdir / "openapi" / "github.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    result = reconcile("validate")
    assert result.exit_code == 1
    assert message in result.output
    assert "openapi/github.yaml:" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("file_region", "flag", "aws_region", "chosen"),
    [
        (None, None, None, None),
        (None, "eu-west-1", "us-east-1", "eu-west-1"),
        (None, None, "us-east-1", "us-east-1"),
        ("eu-west-1", None, None, "eu-west-1"),
        ("eu-west-1", "eu-west-1", "eu-west-1", "eu-west-1"),
    ],
    ids=["nothing", "flag-beats-env", "env", "file", "all-agree"],
)
def test_region_precedence(
    workdir: Path, file_region: str | None, flag: str | None, aws_region: str | None, chosen: str | None
) -> None:
    from reconciler.engine import choose_region
    from reconciler.stack import load_stack

    if file_region:
        edit_stack(workdir, "stack: github-mcp\n", f"stack: github-mcp\nregion: {file_region}\n")
    stack = load_stack(workdir / "stack.yaml")
    assert choose_region(stack, flag=flag, environ={"AWS_REGION": aws_region} if aws_region else {}) == chosen


@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_region_other_than_the_stack_files_is_an_error(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    edit_stack(workdir, "stack: github-mcp\n", "stack: github-mcp\nregion: eu-west-1\n")
    args = ["plan", "--region", "us-east-1"] if how == "flag" else ["plan"]
    monkeypatch.setenv("AWS_REGION", "us-east-1" if how == "env" else "eu-west-1")
    result = reconcile(*args)
    assert result.exit_code == 1
    assert "declares region 'eu-west-1' but" in result.output and "asks for 'us-east-1'" in result.output


def test_a_source_that_is_not_the_project_says_where_it_comes_from(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Issue 24: the error names SERVER_SOURCE, which the shipped stack reads the folder from."""
    monkeypatch.setenv("SERVER_SOURCE", str(tmp_path / "elsewhere"))
    result = reconcile("validate")
    assert result.exit_code == 1
    assert "is not the project's folder" in result.output and "SERVER_SOURCE" in result.output
