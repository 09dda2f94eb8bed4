"""How `mcp-server` is served over HTTP: in one process, or in N worker processes under uvicorn's
supervisor (`--workers N`, stateless only: a stateful server keeps MCP sessions in one process's memory,
so a session's next request could land on a worker that never saw it). Called by server/__main__.py.

Workers are started by uvicorn as fresh processes that import `worker_app` and build their own server
from the options the supervisor leaves in the environment (paths and names, never a credential). The
session store is the SQLite file both share (WAL, busy timeout: handoff/sqlite_sessions.py). uvloop and
httptools serve every process: the fastest measured stack (bench/server_overhead.py), and uvloop sets
TCP_NODELAY on accepted sockets, which asyncio's loop under the multi-process supervisor does not
(every keep-alive request then stalled ~44 ms on delayed ACKs). Request heads are bounded in bytes, fields
and time (handoff/request_heads.py, the same for oauth-callback).
"""

from __future__ import annotations

import gc
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp

from handoff.logs import configure_logging
from handoff.request_heads import head_settings
from server.app import build_server, http_app
from server.hardening import transport_security
from server.options import HttpOptions
from server.setup import make_tools
from server.tools import Tools

WORKER_OPTIONS_ENV = "MCP_SERVER_WORKER_OPTIONS"


def build_app(options: HttpOptions, tools: Tools | None = None) -> ASGIApp:
    """The HTTP app. Everything built so far (the SDK's and our models, schemas, modules) lives as long as
    the process, so it leaves the garbage collector's generations (gc.freeze): the collector then scans only
    what requests allocate (measured: ~30 us less CPU per call at 16 clients, bench/server_overhead.py)."""
    tools = tools or make_tools(
        Path(options.config_path),
        session_store=Path(options.session_store) if options.session_store else None,
        token_header=options.token_header,
        token_file=Path(options.token_file) if options.token_file else None,
        choice=options.choice,
    )
    security = transport_security(options.allowed_hosts, options.allowed_origins)
    app = http_app(build_server(tools, resource_url=options.resource_url), stateful=options.stateful, security=security)
    gc.collect()
    gc.freeze()
    return app


def uvicorn_target(options: HttpOptions, app: ASGIApp | None, workers: int) -> tuple[ASGIApp | str, dict[str, Any]]:
    """What to hand `uvicorn.run`: `app` itself (one worker), or the factory each of `workers` processes
    imports, with the options left in the environment for them."""
    common: dict[str, Any] = {"log_level": options.log_level, "log_config": None, "loop": "uvloop", **head_settings()}
    if workers == 1:
        return app or build_app(options), common
    os.environ[WORKER_OPTIONS_ENV] = json.dumps(asdict(options))
    return "server.serving:worker_app", {**common, "factory": True, "workers": workers}


def worker_app() -> ASGIApp:
    """uvicorn's factory in each worker process: the server built from the supervisor's options."""
    options = HttpOptions(**json.loads(os.environ[WORKER_OPTIONS_ENV]))
    configure_logging(options.log_level, library_level=options.library_log_level)
    return build_app(options)
