"""MCP client configurations for a deployed stack (`reconcile output --claude-desktop`): the MCP
server over streamable HTTP with the user's bearer JWT, and through mcp-proxy-for-aws (SigV4)
with the JWT in a signed custom header."""

from __future__ import annotations

from typing import Any

PROXY_VERSION = "1.7.0"
TOKEN_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-User-Token"


def claude_desktop_config(
    *, mcp_url: str, region: str, token: str, proxy_endpoint: str | None = None
) -> dict[str, Any]:
    """`proxy_endpoint`: what mcp-proxy-for-aws signs for (AgentCore Runtime's invocation URL on AWS)."""
    return {
        "mcpServers": {
            "github": {"type": "http", "url": mcp_url, "headers": {"Authorization": f"Bearer {token}"}},
            "github-via-aws-proxy": {
                "command": "uvx",
                "args": proxy_args(proxy_endpoint or mcp_url, region=region, token=token),
                "env": {"AWS_REGION": region},
            },
        }
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


def proxy_command_line(endpoint: str, *, region: str, token: str) -> str:
    return f"AWS_REGION={region} uvx " + " ".join(_quote(a) for a in proxy_args(endpoint, region=region, token=token))


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)
