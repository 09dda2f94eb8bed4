"""What the server needs from config.json (written by `reconcile apply`; on AgentCore Runtime, the same
model in an environment variable), checked on start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from handoff.config import HAND_OFF_VARIABLE, ConfigError, GatewayConfig, config_from_environment, load_config

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
    """The stack's DynamoDB table of OAuth sessions, if it has one (handoff.session_stores.open_store)."""

    def tool(self, operation_id: str) -> str:
        return self.tools[operation_id]


def load_server_config(path: Path, environ: Mapping[str, str] | None = None) -> ServerConfig:
    """From HAND_OFF_VARIABLE when it is set (AgentCore Runtime, where no config.json is at hand), else
    from the file at `path`."""
    from_environment = config_from_environment(os.environ if environ is None else environ)
    handoff = from_environment or load_config(path)
    source = str(path) if from_environment is None else f"environment variable {HAND_OFF_VARIABLE}"
    if handoff.gateway is None:
        raise ConfigError(f"{source} names no gateway: declare one in the stack file, then run `reconcile apply`")
    if handoff.callback_address is None:
        raise ConfigError(
            f"{source} names no OAuth callback URL, which the server's consent links point at: set CALLBACK_URL "
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
            f"{source} lists no gateway tool for {', '.join(missing)}: check openapi/github.yaml's operationIds, "
            "then run `reconcile apply`"
        )
    return config
