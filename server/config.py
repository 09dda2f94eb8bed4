"""What the server needs from config.json (written by `reconcile apply`), checked on start."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from reconciler.config_file import ConfigError, load_config_as

__all__ = ["ConfigError", "ServerConfig", "load_config"]
REQUIRED_TOOLS = ("getAuthenticatedUser", "listUserRepositories")


class AuthorizerConfig(BaseModel):
    type: Literal["CUSTOM_JWT", "AWS_IAM", "NONE"]
    discovery_url: str | None = None


class GatewayConfig(BaseModel):
    url: str
    authorizer: AuthorizerConfig


class ServerConfig(BaseModel):
    stack: str
    region: str
    gateway: GatewayConfig
    tools: dict[str, str]

    def tool(self, operation_id: str) -> str:
        return self.tools[operation_id]


def load_config(path: Path) -> ServerConfig:
    config = load_config_as(path, ServerConfig)
    missing = [op for op in REQUIRED_TOOLS if op not in config.tools]
    if missing:
        raise ConfigError(
            f"{path} lists no gateway tool for {', '.join(missing)}: check openapi/github.yaml's operationIds, "
            "then run `reconcile apply`"
        )
    return config
