"""Driving the sandbox as the MCP server, a browser and the callback app would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
import httpx

from demo.browser import approve_on_github, session_id_of
from tests.conftest import reconcile
from tests.shipped_stack import without_runtime

PROTOCOL = {"MCP-Protocol-Version": "2025-11-25"}


def apply_stack() -> dict[str, Any]:
    """The shipped stack without its Runtime part, as `reconcile apply` leaves it: the server, callback and
    e2e tests run mcp-server here, on the SQLite session store (tests/e2e/test_runtime_stack_e2e.py applies
    the whole shipped stack and goes through the Runtime and the DynamoDB store)."""
    Path("stack.yaml").write_text(without_runtime(Path("stack.yaml").read_text()))
    result = reconcile("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    return dict(json.loads(Path("config.json").read_text()))


def account_fingerprint() -> tuple[Any, ...]:
    """What a test could change in the account of an applied stack, read in a dozen calls: resources by name,
    each gateway's and target's last update, the return URLs of every workload identity, each role's
    policies and tags. Equal before and after a test: the stack is as apply left it."""
    control, iam = boto3.client("bedrock-agentcore-control"), boto3.client("iam")
    gateways = control.list_gateways()["items"]
    targets = [
        (t["name"], t["status"], str(t["updatedAt"]))
        for g in gateways
        for t in control.list_gateway_targets(gatewayIdentifier=g["gatewayId"])["items"]
    ]
    identities = [
        (w["name"], tuple(control.get_workload_identity(name=w["name"]).get("allowedResourceOauth2ReturnUrls", [])))
        for w in control.list_workload_identities()["workloadIdentities"]
    ]
    roles = [
        (
            r["RoleName"],
            str(r["AssumeRolePolicyDocument"]),
            tuple(
                str(iam.get_role_policy(RoleName=r["RoleName"], PolicyName=name)["PolicyDocument"])
                for name in iam.list_role_policies(RoleName=r["RoleName"])["PolicyNames"]
            ),
            tuple(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=r["RoleName"])["AttachedPolicies"]),
            tuple((t["Key"], t["Value"]) for t in iam.list_role_tags(RoleName=r["RoleName"])["Tags"]),
        )
        for r in iam.list_roles()["Roles"]
    ]
    providers = [
        (p["name"], str(p["lastUpdatedTime"]))
        for p in control.list_oauth2_credential_providers()["credentialProviders"]
    ]
    return (
        tuple((g["name"], g["status"], str(g["updatedAt"])) for g in gateways),
        tuple(targets),
        tuple(identities),
        tuple(roles),
        tuple(providers),
        tuple(boto3.client("dynamodb").list_tables()["TableNames"]),
        tuple(b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]),
    )


def apply_stack_with_return_urls() -> dict[str, Any]:
    """The shipped stack, applied, then its return URLs registered on the gateway's own workload
    identity with plain boto3, as AWS requires: the sandbox's own flow tests exercise the sandbox
    whatever the reconciler manages (the product's tests hold the reconciler to it)."""
    config = apply_stack()
    allow_return_urls(config["gateway"]["id"], [t["return_url"] for t in config["targets"] if t.get("return_url")])
    return config


def gateway_identity_name(gateway_id: str) -> str:
    gateway = boto3.client("bedrock-agentcore-control").get_gateway(gatewayIdentifier=gateway_id)
    return str(gateway["workloadIdentityDetails"]["workloadIdentityArn"]).rsplit("/", 1)[-1]


def allow_return_urls(gateway_id: str, urls: list[str]) -> None:
    control, name = boto3.client("bedrock-agentcore-control"), gateway_identity_name(gateway_id)
    registered = control.get_workload_identity(name=name).get("allowedResourceOauth2ReturnUrls", [])
    control.update_workload_identity(name=name, allowedResourceOauth2ReturnUrls=sorted({*registered, *urls}))


def mint(base: str, user: str, client_id: str = "sandbox-demo") -> str:
    response = httpx.post(f"{base}/oidc/token", json={"user": user, "client_id": client_id})
    response.raise_for_status()
    return str(response.json()["access_token"])


def rpc(
    url: str,
    method: str,
    params: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}
    return httpx.post(url, json=body, headers={**PROTOCOL, **auth, **(headers or {})})


def call_tool(url: str, tool: str, arguments: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    response = rpc(url, "tools/call", {"name": tool, "arguments": arguments or {}}, **kwargs)
    assert response.status_code == 200, response.text
    return dict(response.json())


def consent(authorization_url: str, *, login: str) -> str:
    """Approve as `login` like a browser; returns the session_id the callback app would receive."""
    landing = approve_on_github(authorization_url, login=login)
    assert urlparse(landing).path == "/oauth/callback"
    return session_id_of(landing)
