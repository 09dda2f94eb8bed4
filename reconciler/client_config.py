"""MCP client entries for a deployed stack (`reconcile output --client NAME --door sigv4|oauth`), with no
token in them: entries end up in files people share (a project's `.mcp.json`) and in process lists.

- SigV4 door (a runtime with IAM inbound): `mcp-connect` over stdio, run by `uvx` from this project. It
  signs the user in once in their browser, keeps the refresh token in the OS keyring, renews the JWT and
  signs each request with the user's own AWS profile (`--profile`: a client started from the dock has no
  AWS_* variables).
- OAuth door (a runtime with a CUSTOM_JWT authorizer): the client's native remote-HTTP entry, just the
  URL; the client finds the identity provider from the runtime's 401 and signs in by itself. Claude
  Desktop's file takes only stdio servers, so it gets the URL for its Connectors settings instead.

`proxy_args` is mcp-proxy-for-aws's command line for a JWT already in hand (the demo and tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROXY_VERSION = "1.7.0"
TOKEN_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-User-Token"
SERVER_NAME = "github"
DOORS = ("sigv4", "oauth")


@dataclass(frozen=True)
class Client:
    label: str
    key: str
    """The top-level key the client's file keeps its servers under."""
    files: tuple[str, ...]
    """Where the entry goes, for people."""
    typed: bool
    """The client's entries name their transport (`"type": "stdio"`)."""
    remote: dict[str, str] | None = None
    """Its file's form of a remote MCP server besides `url` (None: the file takes no remote server)."""


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
    ),  # remote servers: Settings > Connectors > Add custom connector, not the file
    "claude-code": Client(
        "Claude Code",
        "mcpServers",
        (
            ".mcp.json in the project root (shared with the project), or, for yourself only:",
            f"claude mcp add-json --scope user {SERVER_NAME} '<the entry under mcpServers>'",
        ),
        typed=True,
        remote={"type": "http"},
    ),
    "cursor": Client(
        "Cursor",
        "mcpServers",
        ("~/.cursor/mcp.json (every project), or .cursor/mcp.json in a project",),
        typed=False,
        remote={},
    ),
    "vscode": Client(
        "VS Code",
        "servers",
        (".vscode/mcp.json in the workspace, or the file the command 'MCP: Open User Configuration' opens",),
        typed=True,
        remote={"type": "http"},
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


@dataclass(frozen=True)
class SignIn:
    """What mcp-connect needs to sign a user in and reach the runtime: all of it from config.json."""

    url: str
    region: str
    issuer: str
    client_id: str | None
    scope: str | None
    profile: str | None
    source: str
    """Where uvx gets mcp-connect: this project's folder or git URL."""


def connect_args(sign_in: SignIn) -> list[str]:
    args = ["--from", sign_in.source, "mcp-connect", "--url", sign_in.url, "--region", sign_in.region]
    args += ["--issuer", sign_in.issuer]
    if sign_in.client_id:
        args += ["--client-id", sign_in.client_id]
    if sign_in.scope:
        args += ["--scope", sign_in.scope]
    if sign_in.profile:
        args += ["--profile", sign_in.profile]
    return args


def client_config(client: str, *, door: str, url: str, sign_in: SignIn | None = None) -> dict[str, Any] | None:
    """The JSON to merge into `client`'s file (one of CLIENTS); None when its file takes no such entry (Claude
    Desktop and a remote server). The SigV4 door needs `sign_in`."""
    spec = CLIENTS[client]
    if door == "oauth":
        if spec.remote is None:
            return None
        return {spec.key: {SERVER_NAME: {**spec.remote, "url": url}}}
    assert sign_in is not None
    entry: dict[str, Any] = {"type": "stdio"} if spec.typed else {}
    entry |= {"command": "uvx", "args": connect_args(sign_in)}
    return {spec.key: {SERVER_NAME: entry}}


def proxy_command_line(endpoint: str, *, region: str, token: str) -> str:
    import shlex

    return f"AWS_REGION={region} uvx " + " ".join(
        shlex.quote(a) for a in proxy_args(endpoint, region=region, token=token)
    )
