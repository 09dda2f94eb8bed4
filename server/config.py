"""What the server needs from config.json (written by `reconcile apply`; on AgentCore Runtime, the same
model in an environment variable), checked on start, with which of the gateway's tools it offers (the command
line's `ToolChoice`)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from handoff.config import (
    HAND_OFF_VARIABLE,
    ConfigError,
    GatewayConfig,
    OperationConfig,
    config_from_environment,
    load_config,
)
from server.options import DEFAULT_CHOICE, ToolChoice

__all__ = ["ConfigError", "ServerConfig", "load_server_config", "reloaded"]
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
    operations: dict[str, OperationConfig] = field(default_factory=dict)
    """operationId -> how its tool is presented (toolset, method, x-mcp-name, x-mcp-summary)."""
    choice: ToolChoice = DEFAULT_CHOICE
    source: Path | None = None
    """The config.json read (None: the hand-off variable); `reloaded` reads it again once apply rewrites it."""
    stamp: tuple[int, int, int] = (0, 0, 0)
    """config.json's (mtime, size, inode) when read: apply replaces the file (a rename), so the inode tells a rewrite
    even when the timestamp and size do not."""

    def tool(self, operation_id: str) -> str:
        return self.tools[operation_id]

    @property
    def toolsets(self) -> frozenset[str]:
        """The toolsets the hand-off's operations belong to (their first tags in the OpenAPI document)."""
        return frozenset(op.toolset for op in self.operations.values() if op.toolset)

    @cached_property
    def version(self) -> str:
        """What a tool listing depends on: it changes when `reconcile apply` changes the gateway or its tools.
        Kept per config (a new one comes from `reloaded`): hashing it on every request was 19% of a call's CPU."""
        key = [self.gateway.url, self.tools, {k: v.model_dump() for k, v in self.operations.items()}]
        return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def load_server_config(
    path: Path, environ: Mapping[str, str] | None = None, *, choice: ToolChoice = DEFAULT_CHOICE
) -> ServerConfig:
    """From HAND_OFF_VARIABLE when it is set (AgentCore Runtime, where no config.json is at hand), else
    from the file at `path`; `choice`: the tools offered (--toolsets, --allow-writes)."""
    environ = os.environ if environ is None else environ
    from_environment = config_from_environment(environ)
    stamp = _stamp(path) if from_environment is None else (0, 0, 0)
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
        choice,
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
        return load_server_config(config.source, {}, choice=config.choice)
    except (ConfigError, OSError):
        return config


def _stamp(path: Path) -> tuple[int, int, int]:
    try:
        status = path.stat()
    except OSError:
        return (0, 0, 0)
    return (status.st_mtime_ns, status.st_size, status.st_ino)
