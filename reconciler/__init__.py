"""Declarative reconciler for the AgentCore GitHub MCP stack."""
