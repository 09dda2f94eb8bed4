"""The Runtime deployment's kinds through `reconcile` against the sandbox (tests/kinds/runtime_stack):
apply -> READY, an unchanged server is a no-op, a changed one updates the artifact and the runtime
only, destroy removes runtime, table, artifacts and bucket (and keeps a bucket holding anything else)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest

from handoff.config import HAND_OFF_VARIABLE, config_from_environment
from sandbox.server import Sandbox
from tests.conftest import ROOT, reconcile
from tests.shipped_stack import without_runtime

STACK = Path(__file__).parent / "runtime_stack" / "stack.yaml"
BUCKET, TABLE, RUNTIME = "rt-test-artifacts", "rt-test-sessions", "rt_test_server"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's server sources, so a test can change them."""
    target = tmp_path / "project"
    for name in ("server", "handoff"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy2(ROOT / name, target / name)
    return target


@pytest.fixture(scope="session")
def packaging_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One packaging cache for these tests (per worker): the dependencies are installed once, and a test that
    changes the server's code still gets a new zip (its key covers the sources)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def stack(
    sandbox: Sandbox, project: Path, tmp_path: Path, packaging_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The sandbox's consistency mode stays strong: its eventual mode delays only gateway and target reads
    (sandbox/consistency.py), and this stack has neither (tests/lifecycle runs the shipped stack both ways)."""
    monkeypatch.setenv("SERVER_SOURCE", str(project))
    monkeypatch.setenv("XDG_CACHE_HOME", str(packaging_cache))
    workdir = tmp_path / "work"
    workdir.mkdir()
    shutil.copy(STACK, workdir / "stack.yaml")
    monkeypatch.chdir(workdir)
    return workdir / "stack.yaml"


def _plan() -> dict[str, str]:
    result = reconcile("plan", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output[result.output.index("{") :])
    return {change["address"].split(".", 1)[1]: change["action"] for change in document["resource_changes"]}


def _runtime() -> dict[str, Any]:
    control = boto3.client("bedrock-agentcore-control")
    summary = next(r for r in control.list_agent_runtimes()["agentRuntimes"] if r["agentRuntimeName"] == RUNTIME)
    return dict(control.get_agent_runtime(agentRuntimeId=summary["agentRuntimeId"]))


def test_apply_creates_a_ready_runtime_from_the_packaged_server(stack: Path) -> None:
    applied = reconcile("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    runtime = _runtime()
    assert runtime["status"] == "READY" and runtime["protocolConfiguration"] == {"serverProtocol": "MCP", "port": 8000}
    assert "authorizerConfiguration" not in runtime  # IAM (SigV4) inbound
    assert runtime["requestHeaderConfiguration"]["requestHeaderAllowlist"] == [
        "X-Amzn-Bedrock-AgentCore-Runtime-Custom-User-Token"
    ]
    environment = runtime["environmentVariables"]
    assert environment["MCP_SERVER_WORKERS"] == "1" and set(environment) == {"MCP_SERVER_WORKERS", HAND_OFF_VARIABLE}
    handed = config_from_environment(environment)  # what the server on the Runtime reads
    assert handed is not None and (handed.stack, handed.region, handed.session_table) == ("rt-test", "us-east-1", TABLE)
    key = runtime["agentRuntimeArtifact"]["codeConfiguration"]["code"]["s3"]["prefix"]
    assert key.startswith("rt-test/rt-test-server-code/") and key.endswith(".zip")
    s3 = boto3.client("s3")
    assert all(s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"].values())
    rules = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    dynamodb = boto3.client("dynamodb")
    table = dynamodb.describe_table(TableName=TABLE)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSEDescription"]["Status"] == "ENABLED"
    ttl = dynamodb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")
    assert set(_plan().values()) == {"no-op"}
    policy = boto3.client("iam").get_role_policy(RoleName="rt-test-runtime-role", PolicyName="reconcile")
    statements = policy["PolicyDocument"]["Statement"]
    resources = [r for s in statements for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])]
    assert table["TableArn"] in resources and "*" not in resources
    config = json.loads(Path("config.json").read_text())
    assert config["session_table"] == TABLE
    assert config["runtime"]["arn"] == runtime["agentRuntimeArn"] and config["runtime"]["name"] == RUNTIME
    assert config["runtime"]["invocation_url"].endswith(
        f"/runtimes/{quote(runtime['agentRuntimeArn'], safe='')}/invocations?qualifier=DEFAULT"
    )


def test_a_changed_server_updates_the_artifact_and_the_runtime_only(stack: Path, project: Path) -> None:
    assert reconcile("apply", "--auto-approve").exit_code == 0
    before = _runtime()
    (project / "server" / "app.py").write_text((project / "server" / "app.py").read_text() + "\n# v2\n")
    changes = {address: action for address, action in _plan().items() if action != "no-op"}
    assert changes == {"server_code": "update", "server": "update"}
    applied = reconcile("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    after = _runtime()
    assert after["agentRuntimeId"] == before["agentRuntimeId"]  # an update, not a replace
    assert (before["agentRuntimeVersion"], after["agentRuntimeVersion"]) == ("1", "2")
    assert set(_plan().values()) == {"no-op"}


def test_a_replaced_hand_off_resource_updates_the_runtime_with_its_new_part(stack: Path) -> None:
    assert reconcile("apply", "--auto-approve").exit_code == 0
    stack.write_text(
        stack.read_text().replace(
            "  sessions:\n    kind: session_table\n",
            "  sessions:\n    kind: session_table\n    name: rt-test-sessions-2\n",
        )
    )
    changes = {address: action for address, action in _plan().items() if action != "no-op"}
    # A new name is a new table (and the old one a removed resource); what references it follows.
    expected = {
        "sessions": "create",
        "removed.rt-test-sessions": "delete",
        "runtime_role": "update",
        "server": "update",
    }
    assert changes == expected
    shown = reconcile("plan")
    assert "hand_off" in shown.output and "(known after apply)" in shown.output, shown.output
    applied = reconcile("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    handed = config_from_environment(_runtime()["environmentVariables"])
    assert handed is not None and handed.session_table == "rt-test-sessions-2"
    assert set(_plan().values()) == {"no-op"}


def test_destroy_removes_runtime_table_artifacts_and_bucket(stack: Path) -> None:
    assert reconcile("apply", "--auto-approve").exit_code == 0
    destroyed = reconcile("destroy", "--auto-approve")
    assert destroyed.exit_code == 0, destroyed.output
    names = [
        r["agentRuntimeName"] for r in boto3.client("bedrock-agentcore-control").list_agent_runtimes()["agentRuntimes"]
    ]
    assert RUNTIME not in names
    assert TABLE not in boto3.client("dynamodb").list_tables()["TableNames"]
    assert BUCKET not in [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]


def test_a_saved_plan_is_stale_once_the_server_code_changes(stack: Path, project: Path) -> None:
    assert reconcile("plan", "--out", "plan.json").exit_code in (0, 2)
    (project / "server" / "app.py").write_text((project / "server" / "app.py").read_text() + "\n# later\n")
    applied = reconcile("apply", "plan.json")
    assert applied.exit_code == 1 and "stale plan" in applied.output and "app.py" in applied.output, applied.output


def test_destroy_needs_no_source_to_package(stack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Like the secrets, SERVER_SOURCE may be unset for destroy: it deletes what is there, building nothing."""
    assert reconcile("apply", "--auto-approve").exit_code == 0
    monkeypatch.delenv("SERVER_SOURCE")
    assert reconcile("plan").exit_code == 1  # plan and apply still need it
    destroyed = reconcile("destroy", "--auto-approve")
    assert destroyed.exit_code == 0, destroyed.output
    assert "packaging:" not in destroyed.output
    assert BUCKET not in [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]


def test_a_bucket_holding_other_objects_is_kept_and_named(stack: Path) -> None:
    """A deliberate keep, not a failure: destroy did all it should, so it exits 0 and names the bucket and why."""
    assert reconcile("apply", "--auto-approve").exit_code == 0
    s3 = boto3.client("s3")
    s3.put_object(Bucket=BUCKET, Key="someone-else/notes.txt", Body=b"mine")
    s3.put_object(Bucket=BUCKET, Key="rt-test/rt-test-server-code/old.zip", Body=b"an earlier artifact")
    destroyed = reconcile("destroy", "--auto-approve")
    assert destroyed.exit_code == 0, destroyed.output
    assert (
        f"Warning: kept artifact_bucket {BUCKET!r} (artifacts): it holds 1 object(s) that are not artifacts of "
        "stack 'rt-test' (e.g. 'someone-else/notes.txt')" in destroyed.output
    ), destroyed.output
    assert "Error" not in destroyed.output and "Destroy complete: 4 resource(s) changed, 1 kept." in destroyed.output
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]] == ["someone-else/notes.txt"]
    assert TABLE not in boto3.client("dynamodb").list_tables()["TableNames"]


def test_a_forced_replace_of_a_bucket_holding_other_objects_fails(stack: Path) -> None:
    """In a replace the kept bucket stands in the new one's way: a failure, unlike in a destroy."""
    assert reconcile("apply", "--auto-approve").exit_code == 0
    boto3.client("s3").put_object(Bucket=BUCKET, Key="someone-else/notes.txt", Body=b"mine")
    replaced = reconcile("apply", "--auto-approve", "--replace", "artifacts")
    assert replaced.exit_code == 1, replaced.output
    assert f"Error: artifact_bucket {BUCKET!r} (artifacts): it holds 1 object(s)" in replaced.output, replaced.output
    assert "Warning: kept" not in replaced.output


def test_stacks_lists_buckets_and_tables_by_their_owner_tag(stack: Path) -> None:
    assert reconcile("apply", "--auto-approve").exit_code == 0
    s3, dynamodb = boto3.client("s3"), boto3.client("dynamodb")
    s3.create_bucket(Bucket="untagged-bucket")  # GetBucketTagging: NoSuchTagSet
    s3.create_bucket(Bucket="other-tags-bucket")
    s3.put_bucket_tagging(Bucket="other-tags-bucket", Tagging={"TagSet": [{"Key": "team", "Value": "x"}]})
    elsewhere = boto3.client("s3", region_name="eu-west-1")  # another region: not this region's stacks
    elsewhere.create_bucket(Bucket="far-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    elsewhere.put_bucket_tagging(Bucket="far-bucket", Tagging={"TagSet": [{"Key": "reconcile:stack", "Value": "far"}]})
    dynamodb.create_table(
        TableName="old-name-sessions",
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": "reconcile:stack", "Value": "old-name"}],
    )
    dynamodb.create_table(
        TableName="untagged-table",
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    listed = reconcile("stacks")
    assert listed.exit_code == 0, listed.output
    counts = {line.split()[0]: line.split(": ", 1)[1] for line in listed.output.splitlines() if "resource(s):" in line}
    assert set(counts) == {"rt-test", "old-name"}, listed.output  # not "far", in eu-west-1
    assert {"1 artifact_bucket", "1 session_table"} <= set(counts["rt-test"].split(", ")), listed.output
    assert "1 code_artifact" in counts["rt-test"].split(", "), listed.output  # owned through its bucket (issue 24)
    assert counts["old-name"] == "1 session_table"


def test_a_runtime_resource_removed_from_the_file_is_deleted(stack: Path) -> None:
    assert reconcile("apply", "--auto-approve").exit_code == 0
    text = stack.read_text()
    stack.write_text(text[: text.index("  server:\n")])  # the runtime goes; bucket, code and table stay
    assert {a: c for a, c in _plan().items() if c != "no-op"} == {"removed.rt_test_server": "delete"}
    assert reconcile("apply", "--auto-approve").exit_code == 0
    names = [
        r["agentRuntimeName"] for r in boto3.client("bedrock-agentcore-control").list_agent_runtimes()["agentRuntimes"]
    ]
    assert RUNTIME not in names


def test_a_stack_without_runtime_kinds_makes_none_of_their_calls(sandbox: Sandbox, workdir: Path) -> None:
    """The shipped stack without its Runtime part: no S3, DynamoDB or AgentRuntime call."""
    from reconciler.aws import CallCounter, make_clients
    from reconciler.kinds.base import Context
    from reconciler.reading import read_live_state
    from reconciler.stack import load_stack

    Path("stack.yaml").write_text(without_runtime(Path("stack.yaml").read_text()))
    clients, counter = make_clients(), CallCounter()
    clients.count_calls(counter)
    stack = load_stack(Path("stack.yaml"))
    read_live_state(Context(clients=clients, stack=stack.name), stack)
    assert counter.total > 0
    assert not [op for op in counter.calls if op.startswith(("s3:", "dynamodb:")) or "AgentRuntime" in op]
