"""The MCP server: GitHub tools that reach GitHub only through the AgentCore gateway.

__main__ (the command line; imports the rest once options are parsed) -> serving (HTTP, --workers) ->
app (assembles the MCPServer and the ASGI app) -> tools (the tools, elicitation) + hardening (Host/Origin,
bind check) + stateless_json (direct path); setup (Tools from config) -> config, identity (whose
credential), gateway (JSON-RPC client) + gateway_http; options (defaults, checks; light, for --help)
"""
