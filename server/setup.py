"""The server's `Tools` built from the hand-off: config.json (or MCP_SERVER_HANDOFF), the identity policy,
the OAuth session store and one gateway client. Called by server/__main__.py (stdio, and one HTTP
process), server/serving.py (each worker process) and the tests."""

from __future__ import annotations

from pathlib import Path

from handoff.session_stores import open_store
from server.config import load_server_config
from server.gateway import GatewayClient
from server.identity import IdentitySettings
from server.options import DEFAULT_CHOICE, ToolChoice, ToolsetsRefused
from server.tools import Tools


def make_tools(
    config_path: Path,
    *,
    session_store: Path | None,
    token_header: str,
    token_file: Path | None,
    choice: ToolChoice = DEFAULT_CHOICE,
) -> Tools:
    """Raises ConfigError (config.json, the hand-off variable), ToolsetsRefused or SessionStoreError, with the fix.
    `choice`: the gateway tools offered (read-only, every toolset, unless the command line says otherwise)."""
    config = load_server_config(config_path, choice=choice)
    refusal = choice.unknown(config.toolsets)
    if refusal is not None:  # checked here, not on every reload: a tag removed by a later apply only hides tools
        raise ToolsetsRefused(refusal)
    identity = IdentitySettings(
        authorizer=config.gateway.authorizer.type,
        region=config.region,
        token_header=token_header,
        token_file=token_file,
    )
    store = open_store(table=config.session_table, region=config.region, config_path=config_path, path=session_store)
    return Tools(config, identity, store, GatewayClient(config.gateway.url, identity))
