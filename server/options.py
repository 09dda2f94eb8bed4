"""What `mcp-server`'s options default to, for the modules behind them. server/__main__.py imports this
before it parses the command line, so `--help` loads it: nothing heavy here (no MCP SDK, no pydantic
model, no boto3, no PyJWT)."""

from __future__ import annotations

# AWS_FACTS: headers reaching a Runtime container are expected to carry this prefix (UNCONFIRMED).
DEFAULT_TOKEN_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-User-Token"
"""Where the user's JWT rides when `Authorization` carries SigV4 (mcp-proxy-for-aws `--header`)."""
