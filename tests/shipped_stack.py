"""The shipped stack.yaml without its Runtime part, for what measures or checks the rest alone
(tests/kinds/test_runtime_stack.py, bench/runtime_plan.py)."""

from __future__ import annotations

RUNTIME_PART = "  # The MCP server on AgentCore Runtime:"
TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/github-mcp-sessions"


def without_runtime(text: str) -> str:
    """Everything above the Runtime part; the runtime role's reference to the session table made literal."""
    return text[: text.index(RUNTIME_PART)].replace("${sessions.arn}", TABLE_ARN)
