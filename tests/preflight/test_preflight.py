"""`reconcile preflight` against the sandbox, whose IAM evaluates identity policies (sandbox.iam_simulation):
a principal missing one action is told exactly that action, the policy it prints is enough, and the account
checks (artifact bucket name) and the callers without policies (root, federated sessions) are said as they are."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from reconciler import preflight
from reconciler.stack import load_stack
from sandbox.identity_control import ACCOUNT
from sandbox.server import Sandbox
from tests.conftest import reconcile

EVERYTHING_BUT = "bedrock-agentcore:UpdateGatewayTarget"
ROLE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
    ],
}


def _user(monkeypatch: pytest.MonkeyPatch, *, policy: dict[str, object] | None, name: str = "deployer") -> str:
    """An IAM user with `policy` attached as a managed policy; its key becomes the environment's credentials."""
    iam = boto3.client("iam")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    if policy is not None:
        made = iam.create_policy(PolicyName=f"{name}-policy", PolicyDocument=json.dumps(policy))["Policy"]["Arn"]
        iam.attach_user_policy(UserName=name, PolicyArn=made)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    return str(arn)


def test_a_principal_missing_one_action_is_told_exactly_that_action(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": EVERYTHING_BUT, "Resource": "*"}]}
    _user(monkeypatch, policy=allow)

    result = reconcile("preflight")

    assert result.exit_code == 1, result.output
    printed = json.loads(result.stdout)
    assert [s["Action"] for s in printed["Statement"]] == [[EVERYTHING_BUT]]
    assert printed["Statement"][0]["Resource"] == [f"arn:aws:bedrock-agentcore:us-east-1:{ACCOUNT}:gateway/*"]
    missing = [line for line in result.stderr.splitlines() if line.strip().startswith("missing ")]
    assert len(missing) == 1 and EVERYTHING_BUT in missing[0], result.stderr
    assert "needed by bedrock-agentcore-control:UpdateGatewayTarget" in missing[0]


def test_the_printed_policy_is_enough(sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From nothing allowed to everything: attaching what preflight printed makes it pass (exit 0, no policy)."""
    arn = _user(monkeypatch, policy=None)
    first = reconcile("preflight")
    assert first.exit_code == 1
    printed = json.loads(first.stdout)
    assert {"iam:PassRole", "s3:GetObject", "ssm:PutParameter"} <= {
        a for s in printed["Statement"] for a in s["Action"]
    }

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "sandbox")  # an administrator attaches it
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "sandbox-secret")
    iam = boto3.client("iam")
    made = iam.create_policy(PolicyName="reconcile", PolicyDocument=first.stdout)["Policy"]["Arn"]
    iam.attach_user_policy(UserName="deployer", PolicyArn=made)
    again = reconcile("preflight", "--principal", arn)

    assert again.exit_code == 0, again.output
    assert again.stdout == ""
    assert f"Principal: {arn} (--principal)" in again.stderr
    assert "Preflight passed" in again.stderr


def test_a_role_session_is_checked_as_its_role(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="deployer", Path="/ci/", AssumeRolePolicyDocument=json.dumps(ROLE_TRUST))["Role"]
    allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_role_policy(RoleName="deployer", PolicyName="all", PolicyDocument=json.dumps(allow))
    session = boto3.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="pipeline")["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", session["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", session["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", session["SessionToken"])

    result = reconcile("preflight")

    assert result.exit_code == 0, result.output
    assert f"assumed-role/deployer/pipeline (simulated as arn:aws:iam::{ACCOUNT}:role/ci/deployer)" in result.stderr


def test_the_sandbox_credentials_are_the_root_user_and_nothing_is_simulated(sandbox: Sandbox, workdir: Path) -> None:
    """The sandbox's fixed keys answer GetCallerIdentity as AWS does for root: IAM policies do not limit root, so
    preflight says it simulated nothing rather than reporting everything allowed."""
    result = reconcile("preflight")

    assert result.exit_code == 0, result.output
    assert f"Caller: arn:aws:iam::{ACCOUNT}:root" in result.stderr
    assert "no permission was simulated" in result.stderr
    assert "Permissions:" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    ("tags", "passes"),
    [
        pytest.param([], False, id="someone-elses"),
        pytest.param([{"Key": "reconcile:stack", "Value": "other"}], False, id="another-stacks"),
        pytest.param([{"Key": "reconcile:stack", "Value": "github-mcp"}], True, id="ours"),
    ],
)
def test_an_artifact_bucket_name_in_use_must_be_ours(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch, tags: list[dict[str, str]], passes: bool
) -> None:
    monkeypatch.setenv("ARTIFACT_BUCKET", "taken-bucket")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="taken-bucket")
    if tags:
        s3.put_bucket_tagging(Bucket="taken-bucket", Tagging={"TagSet": tags})

    result = reconcile("preflight")

    assert result.exit_code == (0 if passes else 1), result.output
    assert ("Account: bucket 'taken-bucket' exists" in result.stderr) is not passes


def test_without_simulate_permission_it_says_which_permission(workdir: Path) -> None:
    """On AWS a principal may not be allowed to simulate its own policies: one line that names the permission."""
    iam = boto3.client("iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    source = f"arn:aws:iam::{ACCOUNT}:user/deployer"
    question = preflight.Question("iam:GetRole", "*", ("iam:GetRole",))
    with Stubber(iam) as stub:
        stub.add_client_error("simulate_principal_policy", "AccessDenied", "not authorized", 403)
        with pytest.raises(RuntimeError, match=f"needs iam:SimulatePrincipalPolicy on {source}"):
            preflight._simulated(iam, source, [question])


def test_a_stack_without_runtime_kinds_is_asked_no_runtime_permission(workdir: Path) -> None:
    from tests.shipped_stack import without_runtime

    Path("stack.yaml").write_text(without_runtime(Path("stack.yaml").read_text()))
    stack = load_stack(Path("stack.yaml"), build=False, lenient=True, secrets_optional=True)
    questions, notes = preflight.questions_for(stack, region="eu-west-1", account=ACCOUNT)

    actions = {q.action for q in questions}
    assert not {a for a in actions if a.startswith(("s3:", "dynamodb:"))} and notes == []
    assert "bedrock-agentcore:CreateAgentRuntime" not in actions
    assert ("ssm:PutParameter", f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/reconcile/github-mcp/lock") in {
        (q.action, q.resource) for q in questions
    }


def test_a_region_where_agentcore_does_not_answer_is_named(unused_port: int) -> None:
    """No endpoint answers (a region without AgentCore has no DNS name; here a closed loopback port)."""
    from botocore.config import Config

    control = boto3.client(
        "bedrock-agentcore-control",
        region_name="us-east-1",
        endpoint_url=f"http://127.0.0.1:{unused_port}",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(retries={"max_attempts": 1}),
    )
    found = preflight.check_agentcore(control, "us-east-1")
    assert found is not None and found.summary == "AgentCore is not reachable in us-east-1"
    assert found.detail.startswith("EndpointConnectionError") and "not offered there" in found.detail


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_service_linked_role_is_asked_for_only_while_the_account_lacks_it(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The account's first CreateAgentRuntime creates AgentCore's runtime-identity role with the caller's rights."""
    allow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "NotAction": "iam:CreateServiceLinkedRole", "Resource": "*"}],
    }
    _user(monkeypatch, policy=allow)
    first = reconcile("preflight")
    assert first.exit_code == 1, first.output
    (statement,) = json.loads(first.stdout)["Statement"]
    assert statement["Action"] == ["iam:CreateServiceLinkedRole"]
    assert statement["Resource"] == [
        f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/runtime-identity.bedrock-agentcore.amazonaws.com/"
        "AWSServiceRoleForBedrockAgentCoreRuntimeIdentity"
    ]
    assert "needed by bedrock-agentcore-control:CreateAgentRuntime" in first.stderr

    trust = {"Version": "2012-10-17", "Statement": []}  # made by an earlier runtime of the account
    boto3.client("iam", aws_access_key_id="sandbox", aws_secret_access_key="sandbox-secret").create_role(
        RoleName="AWSServiceRoleForBedrockAgentCoreRuntimeIdentity",
        Path="/aws-service-role/runtime-identity.bedrock-agentcore.amazonaws.com/",
        AssumeRolePolicyDocument=json.dumps(trust),
    )
    again = reconcile("preflight")
    assert again.exit_code == 0, again.output


def test_a_grant_conditioned_on_the_service_name_is_enough(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The usual grant (AWS's BedrockAgentCoreFullAccess has one) names the service in iam:AWSServiceName: preflight
    asks with that context, as AWS decides the real call."""
    service = "runtime-identity.bedrock-agentcore.amazonaws.com"
    conditioned = {
        "Effect": "Allow",
        "Action": "iam:CreateServiceLinkedRole",
        "Resource": f"arn:aws:iam::*:role/aws-service-role/{service}/*",
        "Condition": {"StringEquals": {"iam:AWSServiceName": service}},
    }
    everything_else = {"Effect": "Allow", "NotAction": "iam:CreateServiceLinkedRole", "Resource": "*"}
    _user(monkeypatch, policy={"Version": "2012-10-17", "Statement": [everything_else, conditioned]})
    result = reconcile("preflight")
    assert result.exit_code == 0, result.output
