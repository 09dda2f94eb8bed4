"""A failure in the middle of apply or destroy stops exactly what waits for it, and says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from reconciler import aws, engine
from reconciler.aws import Clients, make_clients
from sandbox.server import Sandbox
from tests.conftest import STACK_ENV, reconcile
from tests.lifecycle.helpers import EMPTY, FULL_STACK, inventory


def failing(operation: str) -> Clients:
    """Real clients against the sandbox, except that `operation` fails as AWS would refuse it."""
    clients = make_clients()

    def refuse(**_: Any) -> None:
        error = {"Error": {"Code": "ConflictException", "Message": "injected: the resource is busy"}}
        raise ClientError(error, operation)  # type: ignore[arg-type]

    for client in (clients.iam, clients.control):
        client.meta.events.register(f"before-call.*.{operation}", refuse)
    return clients


@pytest.fixture
def applied(sandbox: Sandbox, workdir: Path) -> None:
    assert reconcile("apply", "--auto-approve").exit_code == 0
    assert inventory() == FULL_STACK


def test_failed_delete_in_destroy_skips_exactly_its_dependents(applied: None, monkeypatch: pytest.MonkeyPatch) -> None:
    clients = failing("DeleteGateway")
    monkeypatch.setattr(engine, "make_clients", lambda **_: clients)
    result = reconcile("destroy", "--auto-approve")
    assert result.exit_code == 1
    # Deletes wait for their dependents: the gateway role (the gateway uses it) waits for the gateway, and the
    # provider (the role's policy names its ARN) waits for the role. Both are skipped, naming the failure.
    assert "Error: gateway 'github-mcp-gateway' (gateway): DeleteGateway failed with ConflictException" in result.output
    for skipped in (
        "iam_role 'github-mcp-gateway-role' (gateway_role)",
        "oauth2_provider 'github-mcp-github' (github)",
    ):
        assert f"Skipped: {skipped} skipped: it waits for gateway, which failed (gateway 'github-mcp-gateway'" in (
            result.output
        )
    assert "1 resource(s) failed and 2 that depend on them were skipped" in result.output
    # Everything that did not wait for the gateway was deleted: the target before it, and the independent ones.
    assert inventory() == {
        **EMPTY,
        "roles": ["github-mcp-gateway-role"],
        "gateways": ["github-mcp-gateway"],
        "providers": ["github-mcp-github"],
    }
    monkeypatch.setattr(engine, "make_clients", make_clients)
    again = reconcile("destroy", "--auto-approve")
    assert again.exit_code == 0, again.output
    assert inventory() == EMPTY


@pytest.mark.eventual
def test_failed_create_skips_its_dependents_and_keeps_the_rest(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clients = failing("CreateOauth2CredentialProvider")
    monkeypatch.setattr(engine, "make_clients", lambda **_: clients)
    result = reconcile("apply", "--auto-approve")
    assert result.exit_code == 1
    assert "Error: oauth2_provider 'github-mcp-github' (github): CreateOauth2CredentialProvider failed" in result.output
    # The gateway role's policy names the provider's ARN; the gateway uses the role; the target uses both;
    # the runtime role's policy names the gateway; the runtime uses the role and the gateway's hand-off.
    for skipped in (
        "iam_role 'github-mcp-gateway-role' (gateway_role)",
        "gateway 'github-mcp-gateway' (gateway)",
        "gateway_target 'GitHubTarget' (github_target)",
        "iam_role 'github-mcp-runtime-role' (runtime_role)",
        "agent_runtime 'github_mcp_server' (server)",
    ):
        assert f"Skipped: {skipped} skipped: it waits for github, which failed" in result.output
    # What depends on nothing that failed is there.
    assert inventory() == {
        **EMPTY,
        "buckets": FULL_STACK["buckets"],
        "artifacts": FULL_STACK["artifacts"],
        "tables": FULL_STACK["tables"],
    }
    assert not (workdir / "config.json").exists()
    monkeypatch.setattr(engine, "make_clients", make_clients)
    assert reconcile("apply", "--auto-approve").exit_code == 0
    assert inventory() == FULL_STACK


def test_unreachable_sandbox_is_named_with_a_hint(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_REGION": "us-east-1", **STACK_ENV}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "sandbox")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "sandbox-secret")
    monkeypatch.setattr(aws, "RETRIES", Config(retries={"mode": "standard", "max_attempts": 1}))
    result = reconcile("plan")
    assert result.exit_code == 1
    assert "cannot reach the AWS endpoint http://127.0.0.1:9/" in result.output
    assert "Is `reconcile sandbox` running?" in result.output
    assert "Traceback" not in result.output
