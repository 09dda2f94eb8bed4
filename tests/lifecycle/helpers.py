"""Reading the sandbox account directly, to check what the reconciler left there."""

from __future__ import annotations

from typing import Any

import boto3


def control() -> Any:
    return boto3.client("bedrock-agentcore-control")


def iam() -> Any:
    return boto3.client("iam")


def inventory() -> dict[str, list[str]]:
    """Names of everything in the account, per kind."""
    c, s3 = control(), boto3.client("s3")
    gateways = c.list_gateways()["items"]
    # Every gateway has its own workload identity, which AWS lists too: it comes and goes with the gateway.
    own_identities = {
        c.get_gateway(gatewayIdentifier=g["gatewayId"])["workloadIdentityDetails"]["workloadIdentityArn"].rsplit("/")[
            -1
        ]
        for g in gateways
    }
    # A service-linked role is AWS's, made by the account's first runtime and kept by destroy, as AWS keeps it.
    roles = [r["RoleName"] for r in iam().list_roles()["Roles"] if not r["Path"].startswith("/aws-service-role/")]
    return {
        "roles": sorted(roles),
        "gateways": sorted(g["name"] for g in gateways),
        "targets": sorted(
            t["name"] for g in gateways for t in c.list_gateway_targets(gatewayIdentifier=g["gatewayId"])["items"]
        ),
        "identities": sorted(
            w["name"] for w in c.list_workload_identities()["workloadIdentities"] if w["name"] not in own_identities
        ),
        "providers": sorted(p["name"] for p in c.list_oauth2_credential_providers()["credentialProviders"]),
        "buckets": sorted(b["Name"] for b in s3.list_buckets()["Buckets"]),
        "artifacts": sorted(
            o["Key"].rsplit("/", 1)[0]
            for b in s3.list_buckets()["Buckets"]
            for o in s3.list_objects_v2(Bucket=b["Name"]).get("Contents", [])
        ),
        "tables": sorted(boto3.client("dynamodb").list_tables()["TableNames"]),
        "runtimes": sorted(r["agentRuntimeName"] for r in c.list_agent_runtimes()["agentRuntimes"]),
        "functions": sorted(f["FunctionName"] for f in boto3.client("lambda").list_functions()["Functions"]),
        "parameters": sorted(  # the stack lock (/reconcile/...) is test_lock's to check
            p["Name"]
            for p in boto3.client("ssm").describe_parameters()["Parameters"]
            if not p["Name"].startswith("/reconcile/")
        ),
    }


FULL_STACK = {
    "roles": ["github-mcp-gateway-role", "github-mcp-runtime-role"],
    "gateways": ["github-mcp-gateway"],
    "targets": ["GitHubTarget"],
    "identities": [],
    "providers": ["github-mcp-github"],
    "buckets": ["github-mcp-artifacts"],
    "artifacts": ["github-mcp/github-mcp-server-code"],
    "tables": ["github-mcp-sessions"],
    "runtimes": ["github_mcp_server"],
    "functions": [],
    "parameters": [],
}
"""The shipped stack without its hosted callback (tests/shipped_stack.py), as the lifecycle tests apply it."""
SHIPPED_STACK = {
    **FULL_STACK,
    "roles": sorted([*FULL_STACK["roles"], "github-mcp-callback-role"]),
    "artifacts": ["github-mcp/github-mcp-callback-code", "github-mcp/github-mcp-server-code"],
    "functions": ["github-mcp-callback"],
    "parameters": ["/github-mcp/callback-config", "/github-mcp/callback-secret"],
}
"""The whole shipped stack.yaml, hosted callback included."""
EMPTY = {k: [] for k in FULL_STACK}


def gateway_id(name: str = "github-mcp-gateway") -> str:
    return next(g["gatewayId"] for g in control().list_gateways()["items"] if g["name"] == name)


def settled(gateway: str) -> dict[str, Any]:
    """GetGateway until it answers READY (it may be not-found, then CREATING, right after a create)."""
    for _ in range(20):
        try:
            found: dict[str, Any] = control().get_gateway(gatewayIdentifier=gateway)
        except control().exceptions.ResourceNotFoundException:
            continue
        if found["status"] == "READY":
            return found
    raise AssertionError(f"gateway {gateway} never became READY")
