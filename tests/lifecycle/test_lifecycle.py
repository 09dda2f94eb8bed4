"""plan → apply → plan → change → destroy of the shipped stack against the sandbox, over real HTTP."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from sandbox.server import Sandbox
from tests.conftest import ROOT, edit_stack, reconcile
from tests.lifecycle.helpers import EMPTY, FULL_STACK, SHIPPED_STACK, control, gateway_id, inventory
from tests.planning.test_json_schema import VALIDATOR


def apply_ok() -> str:
    result = reconcile("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    return result.output


def plan_json() -> dict:
    """Every plan read here is also checked against the documented JSON schema."""
    result = reconcile("plan", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    VALIDATOR.validate(document)
    return document


def actions() -> dict[str, str]:
    return {rc["address"]: rc["action"] for rc in plan_json()["resource_changes"]}


@pytest.mark.eventual
def test_first_apply_creates_everything_and_writes_config(sandbox: Sandbox, workdir: Path) -> None:
    assert set(actions().values()) == {"create"}
    output = apply_ok()
    assert "Plan: 9 to add, 0 to change, 0 to replace, 0 to destroy." in output
    assert inventory() == FULL_STACK
    config = json.loads((workdir / "config.json").read_text())
    assert config["gateway"]["id"] == gateway_id()
    assert config["gateway"]["url"].startswith(sandbox.url)
    assert config["gateway"]["authorizer"]["type"] == "CUSTOM_JWT"
    operations = yaml.safe_load((workdir / "openapi" / "github.yaml").read_text())["paths"].values()
    operation_ids = {op["operationId"] for path in operations for op in path.values() if isinstance(op, dict)}
    assert config["tools"] == {op: f"GitHubTarget___{op}" for op in operation_ids}  # one tool per operation
    assert config["callback_url"] == "http://localhost:8080/oauth/callback"
    assert config["oauth2_providers"][0]["callback_url"].startswith(f"{sandbox.url}/identities/oauth2/callback/")
    assert "NEW callback URL" in output and config["oauth2_providers"][0]["callback_url"] in output


@pytest.mark.eventual
def test_second_plan_is_a_noop(sandbox: Sandbox, workdir: Path) -> None:
    apply_ok()
    result = reconcile("plan", "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert "No changes." in result.output
    assert set(actions().values()) == {"no-op"}


def test_detailed_exitcode_reports_changes(sandbox: Sandbox, workdir: Path) -> None:
    assert reconcile("plan", "--detailed-exitcode").exit_code == 2
    assert reconcile("plan").exit_code == 0


@pytest.mark.eventual
def test_spec_change_updates_in_place(sandbox: Sandbox, workdir: Path) -> None:
    apply_ok()
    before = gateway_id()
    edit_stack(workdir, "description: MCP gateway to the GitHub REST API, per-user OAuth", "description: changed")
    edit_stack(workdir, '["${var.callback_url}"]', '["${var.callback_url}", "http://localhost:9090/cb"]')
    plan = {rc["address"]: rc for rc in plan_json()["resource_changes"]}
    assert plan["gateway.gateway"]["action"] == "update"
    assert plan["gateway.gateway"]["change"]["changed_paths"] == [["allowed_return_urls", 1], ["description"]]
    text = reconcile("plan").output
    assert '~     description: "MCP gateway to the GitHub REST API, per-user OAuth" -> "changed"' in text
    assert '+       "http://localhost:9090/cb"' in text
    apply_ok()
    assert gateway_id() == before
    found = control().get_gateway(gatewayIdentifier=before)
    assert found["description"] == "changed"
    identity = found["workloadIdentityDetails"]["workloadIdentityArn"].rsplit("/", 1)[-1]
    assert control().get_workload_identity(name=identity)["allowedResourceOauth2ReturnUrls"] == [
        "http://localhost:8080/oauth/callback",
        "http://localhost:9090/cb",
    ]
    assert set(actions().values()) == {"no-op"}


@pytest.mark.eventual
def test_openapi_change_updates_target_and_is_compared_semantically(sandbox: Sandbox, workdir: Path) -> None:
    apply_ok()
    path = workdir / "openapi" / "github.yaml"
    path.write_text(path.read_text().replace("# The slice", "# Reformatted comment; same document\n# The slice"))
    assert set(actions().values()) == {"no-op"}
    path.write_text(path.read_text().replace("summary: Get the authenticated user's profile", "summary: Who am I"))
    plan = {rc["address"]: rc for rc in plan_json()["resource_changes"]}
    assert plan["gateway_target.github_target"]["action"] == "update"
    assert plan["gateway_target.github_target"]["change"]["changed_paths"] == [
        ["openapi", "paths", "/user", "get", "summary"]
    ]
    apply_ok()
    assert set(actions().values()) == {"no-op"}


@pytest.mark.eventual
def test_immutable_change_replaces_and_says_why(sandbox: Sandbox, workdir: Path) -> None:
    apply_ok()
    old_gateway = gateway_id()
    edit_stack(workdir, 'supported_versions: ["2025-11-25"]', 'supported_versions: ["2025-06-18", "2025-11-25"]')
    plan = {rc["address"]: rc for rc in plan_json()["resource_changes"]}
    assert plan["gateway.gateway"]["change"]["actions"] == ["delete", "create"]
    assert plan["gateway.gateway"]["change"]["replace_paths"] == [["protocol", "supported_versions"]]
    assert plan["gateway_target.github_target"]["action"] == "replace"  # its gateway goes away
    text = reconcile("plan").output
    assert "-/+ gateway.gateway" in text and "forces replacement" in text
    apply_ok()
    assert gateway_id() != old_gateway
    assert inventory() == FULL_STACK
    assert set(actions().values()) == {"no-op"}


@pytest.mark.eventual
def test_removed_resource_is_deleted(sandbox: Sandbox, workdir: Path) -> None:
    apply_ok()
    text = (workdir / "stack.yaml").read_text()
    (workdir / "stack.yaml").write_text(text[: text.index("  server:\n    kind: agent_runtime\n")])
    plan = {rc["address"]: rc["action"] for rc in plan_json()["resource_changes"]}
    assert plan["agent_runtime.removed.github_mcp_server"] == "delete"
    assert {action for address, action in plan.items() if "removed" not in address} == {"no-op"}
    apply_ok()
    assert inventory() == {**FULL_STACK, "runtimes": []}
    assert set(actions().values()) == {"no-op"}


@pytest.mark.eventual
def test_destroy_leaves_nothing_owned_and_removes_config(sandbox: Sandbox, workdir: Path) -> None:
    """plan -> apply -> plan (no-op) -> destroy -> plan (all create), over real HTTP."""
    assert set(actions().values()) == {"create"}
    apply_ok()
    assert set(actions().values()) == {"no-op"}
    result = reconcile("destroy", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert inventory() == EMPTY
    assert not (workdir / "config.json").exists()
    assert set(actions().values()) == {"create"}


def test_the_whole_shipped_stack_with_its_hosted_callback(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """stack.yaml exactly as shipped (the other tests here leave its hosted callback out: tests/shipped_stack.py):
    apply in the order its references give, no-op plan, destroy leaves nothing."""
    shutil.copytree(ROOT / "openapi", tmp_path / "openapi")
    shutil.copy(ROOT / "stack.yaml", tmp_path / "stack.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CALLBACK_URL", raising=False)
    output = apply_ok()
    assert "Plan: 15 to add, 0 to change, 0 to replace, 0 to destroy." in output
    assert inventory() == SHIPPED_STACK
    config = json.loads((tmp_path / "config.json").read_text())
    assert re.fullmatch(r"https://[a-z0-9]{32}\.lambda-url\.us-east-1\.on\.aws/oauth/callback", config["callback_url"])
    assert set(actions().values()) == {"no-op"}
    result = reconcile("destroy", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert inventory() == EMPTY


def test_apply_refuses_to_prompt_without_a_terminal(sandbox: Sandbox, workdir: Path) -> None:
    result = reconcile("apply")
    assert result.exit_code == 1
    assert "--auto-approve" in result.output
    assert inventory() == EMPTY


CALLBACK_IDENTITY = """
  # A standalone workload identity (the gateway's own one is managed by the gateway resource).
  callback_identity:
    kind: workload_identity
    allowed_return_urls: ["${var.callback_url}"]
"""


def with_callback_identity(workdir: Path) -> None:
    stack = workdir / "stack.yaml"
    stack.write_text(stack.read_text() + CALLBACK_IDENTITY)


def test_foreign_resource_is_refused_until_adopted(sandbox: Sandbox, workdir: Path) -> None:
    with_callback_identity(workdir)
    control().create_workload_identity(
        name="github-mcp-callback-identity", allowedResourceOauth2ReturnUrls=["http://x/cb"]
    )
    result = reconcile("apply", "--auto-approve")
    assert result.exit_code == 1
    assert "not owned by stack 'github-mcp'" in result.output
    assert "reconcile adopt callback_identity" in result.output
    assert inventory()["gateways"] == []  # nothing applied
    arn = control().get_workload_identity(name="github-mcp-callback-identity")["workloadIdentityArn"]
    assert control().list_tags_for_resource(resourceArn=arn)["tags"] == {}
    adopted = reconcile("adopt", "callback_identity", "--auto-approve")
    assert adopted.exit_code == 0, adopted.output
    assert actions()["workload_identity.callback_identity"] == "update"
    apply_ok()
    assert control().get_workload_identity(name="github-mcp-callback-identity")["allowedResourceOauth2ReturnUrls"] == [
        "http://localhost:8080/oauth/callback"
    ]


def test_destroy_keeps_what_it_does_not_own(sandbox: Sandbox, workdir: Path) -> None:
    with_callback_identity(workdir)
    control().create_workload_identity(
        name="github-mcp-callback-identity", allowedResourceOauth2ReturnUrls=["http://x/cb"]
    )
    result = reconcile("destroy", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "kept workload_identity 'github-mcp-callback-identity'" in result.output
    assert inventory()["identities"] == ["github-mcp-callback-identity"]


def test_output_prints_config_values(sandbox: Sandbox, workdir: Path) -> None:
    assert reconcile("output").exit_code == 1
    apply_ok()
    result = reconcile("output", "gateway.url")
    assert result.exit_code == 0 and result.output.strip().startswith(sandbox.url)
    assert json.loads(reconcile("output", "--json").output)["stack"] == "github-mcp"


@pytest.mark.parametrize("authorizer", ["AWS_IAM", "NONE"])
def test_a_gateway_signing_as_the_runtime_is_refused_unless_single_user(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch, authorizer: str
) -> None:
    """Issue 21's reproduction: behind AgentCore Runtime an AWS_IAM (or NONE) gateway gives every caller the
    runtime role's identity, so caller B read the GitHub account caller A linked. Refused before any AWS call."""
    monkeypatch.setenv("GATEWAY_AUTHORIZER", authorizer)
    for name in ("OIDC_DISCOVERY_URL", "OIDC_CLIENT_ID"):
        monkeypatch.delenv(name)
    for command in ("validate", "plan", "apply"):
        refused = reconcile(command, *(["--auto-approve"] if command == "apply" else []))
        assert refused.exit_code == 1, refused.output
        assert f"gateway 'gateway' uses {authorizer}" in refused.output and "share one GitHub link" in refused.output
        assert "key resources.server.hand_off.0" in refused.output and "single_user: true" in refused.output
    assert inventory() == EMPTY


@pytest.mark.parametrize("authorizer", ["AWS_IAM"])
def test_aws_iam_authorizer_from_environment(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch, authorizer: str
) -> None:
    monkeypatch.setenv("GATEWAY_AUTHORIZER", authorizer)
    monkeypatch.setenv("SINGLE_USER", "true")  # otherwise refused (the test above)
    for name in ("OIDC_DISCOVERY_URL", "OIDC_CLIENT_ID"):
        monkeypatch.delenv(name)
    apply_ok()
    found = control().get_gateway(gatewayIdentifier=gateway_id())
    assert found["authorizerType"] == "AWS_IAM" and "authorizerConfiguration" not in found
    runtime = control().get_agent_runtime(
        agentRuntimeId=control().list_agent_runtimes()["agentRuntimes"][0]["agentRuntimeId"]
    )
    assert runtime["environmentVariables"]["MCP_SINGLE_USER"] == "1"
    assert set(actions().values()) == {"no-op"}


def test_aws_region_alone_is_enough(sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    assert reconcile("plan").exit_code == 0


CLIENT_KEYS = {"claude-desktop": ("mcpServers", False), "claude-code": ("mcpServers", True)}
CLIENT_KEYS |= {"cursor": ("mcpServers", False), "vscode": ("servers", True)}


def test_output_prints_mcp_client_configuration(sandbox: Sandbox, workdir: Path) -> None:
    """Every client's SigV4-door entry (one apply for all four: the command only reads config.json)."""
    apply_ok()
    for client, (key, typed) in CLIENT_KEYS.items():
        result = reconcile("output", "--client", client, "--mcp-url", "http://localhost:8000/mcp", "--profile", "dev")
        assert result.exit_code == 0, result.output
        document, _, where = result.output.partition("\n\n")  # CliRunner mixes stderr in: the JSON comes first
        entry = json.loads(document)[key]["github"]
        assert entry.get("type") == ("stdio" if typed else None)
        assert entry["command"] == "uvx" and "env" not in entry
        args = entry["args"]
        assert args[2:5] == ["mcp-connect", "--url", "http://localhost:8000/mcp"]
        assert args[args.index("--issuer") + 1] == f"{sandbox.url}/oidc/.well-known/openid-configuration"
        assert args[args.index("--client-id") + 1] == "sandbox-demo" and args[-2:] == ["--profile", "dev"]
        assert "merge the entry" in where and "eyJ" not in result.output  # no token, ever


def test_output_for_the_oauth_door_is_the_url_alone(sandbox: Sandbox, workdir: Path) -> None:
    apply_ok()
    url = json.loads((workdir / "config.json").read_text())["runtime"]["invocation_url"]
    for client in CLIENT_KEYS:
        result = reconcile("output", "--client", client, "--door", "oauth")
        assert result.exit_code == 0, result.output
        shown, _, where = result.output.partition("\n\n")
        if client == "claude-desktop":  # its file takes only stdio servers
            assert shown.strip() == url and "Connectors" in where
            continue
        entry = next(iter(json.loads(shown).values()))["github"]
        assert entry == ({"url": url} if client == "cursor" else {"type": "http", "url": url})


def test_output_for_a_client_points_at_the_stacks_runtime(sandbox: Sandbox, workdir: Path) -> None:
    apply_ok()
    config = json.loads((workdir / "config.json").read_text())
    arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/github_mcp-AbCdEf1234"
    url = f"https://bedrock-agentcore.us-east-1.amazonaws.com/runtimes/{quote(arn, safe='')}/invocations?qualifier=DEFAULT"
    config["runtime"] = {"address": "agent_runtime.server", "name": "github_mcp", "arn": arn, "invocation_url": url}
    (workdir / "config.json").write_text(json.dumps(config))
    result = reconcile("output", "--client", "vscode")
    assert result.exit_code == 0, result.output
    entry = json.loads(result.output.partition("\n\n")[0])["servers"]["github"]
    assert entry["args"][entry["args"].index("--url") + 1] == url
    assert "--profile NAME" in result.output  # said when no profile was given


def test_output_for_a_client_needs_a_runtime_or_a_local_url(sandbox: Sandbox, workdir: Path) -> None:
    apply_ok()
    runtime = json.loads((workdir / "config.json").read_text())["runtime"]["invocation_url"]
    shown = reconcile("output", "--client", "cursor")
    assert shown.exit_code == 0 and runtime in shown.output and "mcp-connect" in shown.output
    text = (workdir / "stack.yaml").read_text()
    (workdir / "stack.yaml").write_text(text[: text.index("  server:\n    kind: agent_runtime\n")])
    apply_ok()
    result = reconcile("output", "--client", "cursor")
    assert result.exit_code == 1 and "--mcp-url http://localhost:8000/mcp" in result.output


def test_destroy_needs_no_secrets_or_identity_settings(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_ok()
    for name in ("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "OIDC_DISCOVERY_URL", "OIDC_CLIENT_ID"):
        monkeypatch.delenv(name)
    assert reconcile("plan").exit_code == 1  # plan and apply still insist on them
    result = reconcile("destroy", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert inventory() == EMPTY


def test_destroy_removes_only_its_own_config(sandbox: Sandbox, workdir: Path) -> None:
    (workdir / "config.json").write_text('{"format_version": 1, "stack": "other-stack", "region": "us-east-1"}')
    result = reconcile("destroy", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Kept config.json: it was written for stack 'other-stack', not 'github-mcp'." in result.output
    assert (workdir / "config.json").exists()


def test_stacks_lists_every_owner_in_the_region(sandbox: Sandbox, workdir: Path) -> None:
    assert reconcile("stacks").output.strip().endswith("No stack owns resources in us-east-1.")
    apply_ok()
    control().create_workload_identity(name="old-name-callback-identity", tags={"reconcile:stack": "old-name"})
    result = reconcile("stacks")
    assert result.exit_code == 0, result.output
    owned = (
        "1 agent_runtime, 1 artifact_bucket, 1 code_artifact, 1 gateway, 1 gateway_target, 2 iam_role, "
        "1 oauth2_provider, 1 session_table"
    )
    # Issue 24: it said 7 of 9; targets and artifacts are owned through their gateway and bucket, and count with them.
    declared = yaml.safe_load((workdir / "stack.yaml").read_text())["resources"]
    assert f"github-mcp  {len(declared)} resource(s): {owned}" in result.output
    assert "old-name  1 resource(s): 1 workload_identity" in result.output
