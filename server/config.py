"""What the server needs from config.json (written by `reconcile apply`), checked on start."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError

REQUIRED_TOOLS = ("getAuthenticatedUser", "listUserRepositories")


class ConfigError(Exception):
    pass


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
    hint = "run `reconcile apply` (it writes config.json) or pass --config PATH"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path} does not exist: {hint}") from exc
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} cannot be read as JSON ({exc}): {hint}") from exc
    if not isinstance(raw, dict) or not raw.get("gateway"):
        raise ConfigError(f"{path} has no gateway: the stack needs a gateway resource; {hint}")
    try:
        config = ServerConfig.model_validate(raw)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        raise ConfigError(f"{path} is incomplete (missing or invalid: {fields}): {hint}") from exc
    missing = [op for op in REQUIRED_TOOLS if op not in config.tools]
    if missing:
        raise ConfigError(
            f"{path} lists no gateway tool for {', '.join(missing)}: check openapi/github.yaml's operationIds, then {hint}"
        )
    return config
