"""What the server needs from config.json (written by `reconcile apply`; on AgentCore Runtime, the same
model in an environment variable), checked on start, and which of the gateway's tools it offers
(`ToolChoice`, from MCP_TOOLSETS / MCP_ALLOW_WRITES)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from handoff.config import (
    HAND_OFF_VARIABLE,
    ConfigError,
    GatewayConfig,
    OperationConfig,
    config_from_environment,
    load_config,
)

__all__ = ["ConfigError", "ServerConfig", "ToolChoice", "load_server_config", "reloaded"]
REQUIRED_TOOLS = ("getAuthenticatedUser", "listUserRepositories")
TOOLSETS_VARIABLE = "MCP_TOOLSETS"
WRITES_VARIABLE = "MCP_ALLOW_WRITES"
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


@dataclass(frozen=True)
class ToolChoice:
    """Which gateway tools are offered: the toolsets (None: all) and whether writes are. Read-only unless
    MCP_ALLOW_WRITES says otherwise: a write is a deliberate choice of whoever runs the server."""

    toolsets: frozenset[str] | None = None
    writes: bool = False

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> ToolChoice:
        """MCP_TOOLSETS=repos,issues (or `all`); MCP_ALLOW_WRITES=1. Raises ConfigError for other values."""
        names = frozenset(n.strip() for n in environ.get(TOOLSETS_VARIABLE, "").split(",") if n.strip())
        writes = environ.get(WRITES_VARIABLE, "").strip().lower()
        if writes and writes not in TRUE_WORDS | {"0", "false", "no", "off"}:
            raise ConfigError(f"{WRITES_VARIABLE}={writes!r}: use 1 (offer write tools) or 0 (read-only, the default)")
        return cls(None if not names or "all" in names else names, writes in TRUE_WORDS)

    def offers(self, toolset: str) -> bool:
        return self.toolsets is None or toolset in self.toolsets


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
    operations: dict[str, OperationConfig] = field(default_factory=dict)
    """operationId -> how its tool is presented (toolset, method, x-mcp-name, x-mcp-summary)."""
    choice: ToolChoice = ToolChoice()
    source: Path | None = None
    """The config.json read (None: the hand-off variable); `reloaded` reads it again once apply rewrites it."""
    stamp: tuple[int, int] = (0, 0)

    def tool(self, operation_id: str) -> str:
        return self.tools[operation_id]

    @property
    def version(self) -> str:
        """What a tool listing depends on: it changes when `reconcile apply` changes the gateway or its tools."""
        key = [self.gateway.url, self.tools, {k: v.model_dump() for k, v in self.operations.items()}]
        return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def load_server_config(path: Path, environ: Mapping[str, str] | None = None) -> ServerConfig:
    """From HAND_OFF_VARIABLE when it is set (AgentCore Runtime, where no config.json is at hand), else
    from the file at `path`."""
    environ = os.environ if environ is None else environ
    from_environment = config_from_environment(environ)
    stamp = _stamp(path) if from_environment is None else (0, 0)
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
        handoff.operations,
        ToolChoice.from_environment(environ),
        path if from_environment is None else None,
        stamp,
    )
    missing = [op for op in REQUIRED_TOOLS if op not in config.tools]
    if missing:
        raise ConfigError(
            f"{source} lists no gateway tool for {', '.join(missing)}: check openapi/github.yaml's operationIds, "
            "then run `reconcile apply`"
        )
    return config


def reloaded(config: ServerConfig) -> ServerConfig:
    """`config`, or config.json read again when `reconcile apply` has rewritten it since (a new operation in the
    OpenAPI document becomes a tool without a restart). Costs one stat; a file that no longer loads keeps the old."""
    if config.source is None or _stamp(config.source) == config.stamp:
        return config
    try:
        fresh = load_server_config(config.source, {})
    except (ConfigError, OSError):
        return config
    return replace(fresh, choice=config.choice)


def _stamp(path: Path) -> tuple[int, int]:
    try:
        status = path.stat()
    except OSError:
        return (0, 0)
    return (status.st_mtime_ns, status.st_size)
