"""`mcp-connect`: the one stdio MCP entry a user puts in Claude Desktop, Claude Code, Cursor or VS Code for
the SigV4 door (DESIGN.md section 3, issue 21 item 1).

It signs the user in once in their browser against the stack's identity provider (authorization code +
PKCE S256, loopback redirect per RFC 8252: connect.oauth), keeps the refresh token in the OS keyring or,
where none exists, in a 0600 file (connect.store), renews the JWT before it expires, and relays MCP from
stdio to the AgentCore Runtime's invocation URL, each request signed with SigV4 under the user's own AWS
credentials and carrying the fresh JWT in the allow-listed header (connect.signing, connect.relay).

Layer: a program beside mcp-server and oauth-callback; it reads the hand-off (handoff.config) and nothing
else of the project."""
