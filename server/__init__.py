"""The MCP server: GitHub tools that reach GitHub only through the AgentCore gateway.

__main__ (CLI) -> app (tools, elicitation) -> gateway (JSON-RPC client) + identity (whose credential)
"""
