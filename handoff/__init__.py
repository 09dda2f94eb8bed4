"""The hand-off between the reconciler and the programs it deploys for (DESIGN §1).

`reconcile apply` writes it; `mcp-server` and `oauth-callback` read it. It imports nothing of theirs,
so each program loads only what it needs:

    config      config.json: one versioned pydantic model, its atomic writer, its loader
    options     the --config option (click only, so --help imports no model)
    sessions    the OAuth session (session URI -> initiator): the record, the SessionStore interface, errors
    sqlite_sessions    the store in one SQLite file (one host), with private_files (0600, no links, owner)
    dynamodb_sessions  the same store on DynamoDB, for programs on different hosts
    session_stores     open_store: which of the two a program opens
    links       the callback's addresses and the one-time consent link the MCP server hands out
    callers     who a session belongs to (caller identifier kinds) and the name shown for a JWT's user
    logs        logging for both programs: third-party loggers pinned, tokens redacted on every handler
"""
