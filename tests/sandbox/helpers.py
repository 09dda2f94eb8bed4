"""Driving the sandbox as the MCP server, a browser and the callback app would."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from tests.conftest import reconcile

PROTOCOL = {"MCP-Protocol-Version": "2025-11-25"}


def apply_stack() -> dict[str, Any]:
    import json
    from pathlib import Path

    result = reconcile("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    return dict(json.loads(Path("config.json").read_text()))


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
    """Follow the elicitation URL like a browser, approve as `login` on the GitHub stand-in;
    returns the session_id the callback app receives."""
    with httpx.Client(follow_redirects=False) as browser:
        to_github = browser.get(authorization_url)
        assert to_github.status_code == 302, to_github.text
        page = browser.get(to_github.headers["Location"])
        assert page.status_code == 200 and 'id="authorize"' in page.text
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
        base = f"{urlparse(authorization_url).scheme}://{urlparse(authorization_url).netloc}"
        back = browser.post(f"{base}/github/login/oauth/authorize", data={**fields, "login": login})
        assert back.status_code == 302, back.text
        to_callback = browser.get(back.headers["Location"])
        assert to_callback.status_code == 302, to_callback.text
    location = urlparse(to_callback.headers["Location"])
    assert location.path == "/oauth/callback"
    return parse_qs(location.query)["session_id"][0]
