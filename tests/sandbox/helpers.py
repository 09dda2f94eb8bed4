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
