"""The hand-off between the reconciler and the programs it deploys for (DESIGN §1).

`reconcile apply` writes it; `mcp-server` and `oauth-callback` read it. It imports nothing of theirs,
so each program loads only what it needs:

    config      config.json: one versioned pydantic model, its atomic writer, its loader, --config
    sessions    the OAuth session store (session URI -> initiator): its interface, SQLite, and open_store
    dynamodb_sessions  the same store on DynamoDB, for programs on different hosts
    links       the callback's addresses and the one-time consent link the MCP server hands out
    callers     who a session belongs to (caller identifier kinds) and the name shown for a JWT's user
    logs        logging for both programs: third-party loggers pinned, tokens redacted on every handler
"""
