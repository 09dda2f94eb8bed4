"""Adopting a resource set up outside the stack: settings the stack does not manage survive updates.

AWS's UpdateGateway and UpdateGatewayTarget replace the whole document (an omitted optional field is
reset), and the sandbox does the same, so this fails unless apply carries those settings over.
"""

from __future__ import annotations

import os
from pathlib import Path

from sandbox.server import Sandbox
from tests.conftest import reconcile
from tests.lifecycle.helpers import control, gateway_id, iam, settled

KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
POLICY_ENGINE = {"arn": "arn:aws:bedrock-agentcore:us-east-1:123456789012:policy-engine/pe-1", "mode": "LOG_ONLY"}


def test_adopted_gateway_keeps_its_kms_key_and_policy_engine(sandbox: Sandbox, workdir: Path) -> None:
    role = iam().create_role(RoleName="hand-made", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    control().create_gateway(
        name="github-mcp-gateway",
        roleArn=role,
        protocolType="MCP",
        protocolConfiguration={"mcp": {"supportedVersions": ["2025-11-25"]}},
        authorizerType="CUSTOM_JWT",
        authorizerConfiguration={
            "customJWTAuthorizer": {
                "discoveryUrl": os.environ["OIDC_DISCOVERY_URL"],
                "allowedClients": [os.environ["OIDC_CLIENT_ID"]],
            }
        },
        description="made by hand",
        kmsKeyArn=KMS_KEY,
        policyEngineConfiguration=POLICY_ENGINE,
    )
    settled(gateway_id())
    assert reconcile("adopt", "gateway", "--auto-approve").exit_code == 0
    plan = reconcile("plan").output
    assert "keeps kmsKeyArn, policyEngineConfiguration as set outside the stack" in plan
    applied = reconcile("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    found = control().get_gateway(gatewayIdentifier=gateway_id())
    assert found["description"] == "MCP gateway to the GitHub REST API, per-user OAuth"  # updated
    assert found["kmsKeyArn"] == KMS_KEY and found["policyEngineConfiguration"] == POLICY_ENGINE  # kept
    assert reconcile("plan", "--detailed-exitcode").exit_code == 0
