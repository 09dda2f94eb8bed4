"""MCP client entries for a deployed stack (`reconcile output --client NAME`).

Every client gets one form: `mcp-proxy-for-aws` over stdio, which signs with SigV4 (what AgentCore
Runtime's IAM inbound authorization needs) and carries the user's JWT in a signed custom header. It
points at the stack's Runtime invocation URL, or at a locally run mcp-server (which ignores the
signature). Claude Desktop's config file takes only stdio servers (remote servers are added in its
Connectors UI), so stdio is the form every client below accepts in a file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

PROXY_VERSION = "1.7.0"
TOKEN_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-User-Token"
SERVER_NAME = "github"


@dataclass(frozen=True)
class Client:
    label: str
    key: str
    """The top-level key the client's file keeps its servers under."""
    files: tuple[str, ...]
    """Where the entry goes, for people."""
    typed: bool
    """The client's entries name their transport (`"type": "stdio"`)."""


CLIENTS = {
    "claude-desktop": Client(
        "Claude Desktop",
        "mcpServers",
        (
            "macOS: ~/Library/Application Support/Claude/claude_desktop_config.json",
            "Windows: %APPDATA%\\Claude\\claude_desktop_config.json",
            "(Settings > Developer > Edit Config opens it; restart Claude Desktop after saving)",
        ),
        typed=False,
    ),
    "claude-code": Client(
        "Claude Code",
        "mcpServers",
        (
            ".mcp.json in the project root (shared with the project), or, for yourself only:",
            f"claude mcp add-json {SERVER_NAME} '<the entry under mcpServers>'",
        ),
        typed=True,
    ),
    "cursor": Client(
        "Cursor",
        "mcpServers",
        ("~/.cursor/mcp.json (every project), or .cursor/mcp.json in a project",),
        typed=False,
    ),
    "vscode": Client(
        "VS Code",
        "servers",
        (".vscode/mcp.json in the workspace, or the file the command 'MCP: Open User Configuration' opens",),
        typed=True,
    ),
}


def proxy_args(endpoint: str, *, region: str, token: str) -> list[str]:
    return [
        f"mcp-proxy-for-aws@{PROXY_VERSION}",
        endpoint,
        "--service",
        "bedrock-agentcore",
        "--region",
        region,
        "--header",
        f"{TOKEN_HEADER}={token}",
        "--disable-telemetry",
    ]


def client_config(client: str, *, endpoint: str, region: str, token: str) -> dict[str, Any]:
    """The JSON to merge into `client`'s file (one of CLIENTS): the stack's server through the proxy."""
    spec = CLIENTS[client]
    entry: dict[str, Any] = {"type": "stdio"} if spec.typed else {}
    entry |= {"command": "uvx", "args": proxy_args(endpoint, region=region, token=token), "env": {"AWS_REGION": region}}
    return {spec.key: {SERVER_NAME: entry}}


def client_config_text(client: str, *, endpoint: str, region: str, token: str) -> str:
    return json.dumps(client_config(client, endpoint=endpoint, region=region, token=token), indent=2)


def proxy_command_line(endpoint: str, *, region: str, token: str) -> str:
    import shlex

    return f"AWS_REGION={region} uvx " + " ".join(
        shlex.quote(a) for a in proxy_args(endpoint, region=region, token=token)
    )
