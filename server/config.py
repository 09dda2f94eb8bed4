"""What the server needs from config.json (written by `reconcile apply`), checked on start."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from handoff.config import ConfigError, GatewayConfig, load_config

__all__ = ["ConfigError", "ServerConfig", "load_server_config"]
REQUIRED_TOOLS = ("getAuthenticatedUser", "listUserRepositories")


@dataclass(frozen=True)
class ServerConfig:
    """What the server serves from the hand-off: its gateway and that gateway's tools."""

    stack: str
    region: str
    gateway: GatewayConfig
    tools: dict[str, str]
    callback_url: str
    """The OAuth callback app's URL: the consent links the server hands out point beside it (handoff/links.py)."""
    session_table: str | None = None
    """The stack's DynamoDB table of OAuth sessions, if it has one (handoff.sessions.open_store)."""

    def tool(self, operation_id: str) -> str:
        return self.tools[operation_id]


def load_server_config(path: Path) -> ServerConfig:
    handoff = load_config(path)
    if handoff.gateway is None:
        raise ConfigError(f"{path} names no gateway: declare one in the stack file, then run `reconcile apply`")
    if handoff.callback_address is None:
        raise ConfigError(
            f"{path} names no OAuth callback URL, which the server's consent links point at: set CALLBACK_URL "
            "(the stack's callback_url) and run `reconcile apply`"
        )
    config = ServerConfig(
        handoff.stack,
        handoff.region,
        handoff.gateway,
        handoff.tools,
        handoff.callback_address,
        handoff.session_table,
    )
    missing = [op for op in REQUIRED_TOOLS if op not in config.tools]
    if missing:
        raise ConfigError(
            f"{path} lists no gateway tool for {', '.join(missing)}: check openapi/github.yaml's operationIds, "
            "then run `reconcile apply`"
        )
    return config
