"""The sandbox's iam:SimulatePrincipalPolicy (sandbox.iam_simulation): the evaluation rules it models, and its
answers through boto3 in the IAM API reference's shape (one result per action, per-resource decisions)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sandbox.iam_simulation import Policy, decide
from sandbox.identity_control import ACCOUNT
from sandbox.server import Sandbox

ROLE = f"arn:aws:iam::{ACCOUNT}:role/stack-gateway"


def _policy(*statements: dict[str, Any]) -> list[Policy]:
    return [Policy("p", "user", {"Version": "2012-10-17", "Statement": list(statements)})]


@pytest.mark.parametrize(
    ("statement", "action", "resource", "decision"),
    [
        pytest.param({"Action": "iam:*", "Resource": "*"}, "iam:PassRole", ROLE, "allowed", id="service-wildcard"),
        pytest.param({"Action": "IAM:passrole", "Resource": ROLE}, "iam:PassRole", ROLE, "allowed", id="action-case"),
        pytest.param(
            {"Action": "iam:PassRole", "Resource": ROLE.upper()},
            "iam:PassRole",
            ROLE,
            "implicitDeny",
            id="resource-case",
        ),
        pytest.param({"Action": "iam:Get?ole", "Resource": "*"}, "iam:GetRole", ROLE, "allowed", id="question-mark"),
        pytest.param(
            {"Action": "iam:Get?ole", "Resource": "*"}, "iam:GetRolePolicy", ROLE, "implicitDeny", id="one-char"
        ),
        pytest.param(
            {"NotAction": "iam:PassRole", "Resource": "*"}, "iam:PassRole", ROLE, "implicitDeny", id="not-action"
        ),
        pytest.param({"Action": "*", "NotResource": ROLE}, "iam:GetRole", ROLE, "implicitDeny", id="not-resource"),
        pytest.param(
            {"Action": "s3:GetObject", "Resource": "arn:aws:s3:::a.b/*"},
            "s3:GetObject",
            "arn:aws:s3:::aXb/k",
            "implicitDeny",
            id="dot-is-literal",
        ),
    ],
)
def test_statement_matching(statement: dict[str, Any], action: str, resource: str, decision: str) -> None:
    assert decide(_policy({"Effect": "Allow", **statement}), action, resource).decision == decision


def test_an_explicit_deny_wins_over_any_allow() -> None:
    policies = _policy(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/stack-*"},
    )
    assert decide(policies, "iam:PassRole", ROLE).decision == "explicitDeny"
    assert decide(policies, "iam:GetRole", ROLE).decision == "allowed"


def test_a_conditioned_statement_is_not_decided_without_context() -> None:
    """Not modelled: given no context values, AWS finds the keys missing and (for most operators) the condition
    false; the keys are reported, as MissingContextValues."""
    found = decide(
        _policy(
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
            }
        ),
        "iam:GetRole",
        ROLE,
    )
    assert (found.decision, found.missing_context) == ("implicitDeny", {"aws:RequestedRegion"})


def test_through_boto3_a_users_groups_count_and_each_resource_has_its_decision(sandbox: Sandbox) -> None:
    iam = boto3.client("iam")
    iam.create_user(UserName="dev", Path="/team/")
    iam.create_group(GroupName="deployers")
    iam.add_user_to_group(GroupName="deployers", UserName="dev")
    allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetRole", "Resource": ROLE}]}
    iam.put_group_policy(GroupName="deployers", PolicyName="roles", PolicyDocument=json.dumps(allow))

    answer = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/team/dev",
        ActionNames=["iam:GetRole", "iam:DeleteRole"],
        ResourceArns=[ROLE, f"arn:aws:iam::{ACCOUNT}:role/other"],
    )

    results = {r["EvalActionName"]: r for r in answer["EvaluationResults"]}
    assert list(results) == ["iam:GetRole", "iam:DeleteRole"] and answer["IsTruncated"] is False
    get = results["iam:GetRole"]
    assert get["EvalDecision"] == "implicitDeny"  # the most restrictive of its resources
    assert [(r["EvalResourceName"], r["EvalResourceDecision"]) for r in get["ResourceSpecificResults"]] == [
        (ROLE, "allowed"),
        (f"arn:aws:iam::{ACCOUNT}:role/other", "implicitDeny"),
    ]
    assert get["ResourceSpecificResults"][0]["MatchedStatements"] == [
        {"SourcePolicyId": "roles", "SourcePolicyType": "group"}
    ]


@pytest.mark.parametrize(
    ("source", "code"),
    [
        pytest.param(f"arn:aws:iam::{ACCOUNT}:user/dev", "NoSuchEntity", id="wrong-path"),
        pytest.param(f"arn:aws:iam::{ACCOUNT}:root", "InvalidInput", id="root"),
    ],
)
def test_a_principal_that_is_not_there_is_refused(sandbox: Sandbox, source: str, code: str) -> None:
    iam = boto3.client("iam")
    iam.create_user(UserName="dev", Path="/team/")
    with pytest.raises(ClientError) as caught:
        iam.simulate_principal_policy(PolicySourceArn=source, ActionNames=["iam:GetRole"])
    assert caught.value.response["Error"]["Code"] == code


def test_what_it_does_not_model_is_refused_not_ignored(sandbox: Sandbox) -> None:
    iam = boto3.client("iam")
    iam.create_user(UserName="dev")
    with pytest.raises(ClientError, match="does not model ResourceHandlingOption"):
        iam.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/dev", ActionNames=["iam:GetRole"], ResourceHandlingOption="x"
        )


SERVICE_LINKED = "arn:aws:iam::*:role/aws-service-role/runtime-identity.bedrock-agentcore.amazonaws.com/*"


@pytest.mark.parametrize(
    ("operator", "value", "context", "decision"),
    [
        pytest.param("StringEquals", "runtime-identity.bedrock-agentcore.amazonaws.com", True, "allowed", id="equals"),
        pytest.param("StringLike", "*.bedrock-agentcore.amazonaws.com", True, "allowed", id="like"),
        pytest.param("StringEquals", "network.bedrock-agentcore.amazonaws.com", True, "implicitDeny", id="other"),
        pytest.param(
            "StringEquals", "runtime-identity.bedrock-agentcore.amazonaws.com", False, "implicitDeny", id="no"
        ),
        pytest.param(
            "ArnLike", "runtime-identity.bedrock-agentcore.amazonaws.com", True, "implicitDeny", id="unmodelled"
        ),
    ],
)
def test_a_condition_is_decided_from_the_context_entries(
    sandbox: Sandbox, operator: str, value: str, context: bool, decision: str
) -> None:
    """The usual grant of iam:CreateServiceLinkedRole names the service in a Condition on iam:AWSServiceName."""
    iam = boto3.client("iam")
    iam.create_user(UserName="dev")
    grant = {"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": SERVICE_LINKED}
    grant["Condition"] = {operator: {"iam:AWSServiceName": value}}
    iam.put_user_policy(
        UserName="dev", PolicyName="slr", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [grant]})
    )
    entries = [
        {
            "ContextKeyName": "iam:AWSServiceName",
            "ContextKeyValues": ["runtime-identity.bedrock-agentcore.amazonaws.com"],
            "ContextKeyType": "string",
        }
    ]
    answer = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/dev",
        ActionNames=["iam:CreateServiceLinkedRole"],
        ResourceArns=[SERVICE_LINKED.replace("*:", f"{ACCOUNT}:").replace("/*", "/AWSServiceRoleForX")],
        ContextEntries=entries if context else [],
    )
    (result,) = answer["EvaluationResults"]
    assert result["EvalDecision"] == decision
    assert result["MissingContextValues"] == ([] if context and operator != "ArnLike" else ["iam:AWSServiceName"])


def test_pages(sandbox: Sandbox) -> None:
    iam = boto3.client("iam")
    iam.create_user(UserName="dev")
    pages = iam.get_paginator("simulate_principal_policy").paginate(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/dev",
        ActionNames=[f"iam:Action{n}" for n in range(5)],
        PaginationConfig={"PageSize": 2},
    )
    assert [len(page["EvaluationResults"]) for page in pages] == [2, 2, 1]
