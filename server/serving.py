"""How `mcp-server` is assembled and served over HTTP: in one process, or in N worker processes under
uvicorn's supervisor (`--workers N`, stateless only: a stateful server keeps MCP sessions in one
process's memory, so a session's next request could land on a worker that never saw it).

Workers are started by uvicorn as fresh processes that import `worker_app` and build their own server
from the options the supervisor leaves in the environment (paths and names, never a credential). The
session store is the SQLite file both share (WAL, busy timeout: handoff/sqlite_sessions.py). uvloop and
httptools serve every process: the fastest measured stack (bench/server_overhead.py), and uvloop sets
TCP_NODELAY on accepted sockets, which asyncio's loop under the multi-process supervisor does not
(every keep-alive request then stalled ~44 ms on delayed ACKs).
"""

from __future__ import annotations

import gc
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp

from handoff.logs import configure_logging
from handoff.session_stores import open_store
from server.app import Tools, build_server
from server.config import load_server_config
from server.exposure import http_app, transport_security
from server.gateway import GatewayClient
from server.identity import IdentitySettings

WORKER_OPTIONS_ENV = "MCP_SERVER_WORKER_OPTIONS"


class WorkersRefused(Exception):
    """--workers asked of a transport that cannot be split over processes; the message says why."""


@dataclass(frozen=True)
class HttpOptions:
    """What a process needs to build the HTTP server (JSON-able: it crosses to the workers)."""

    config_path: str
    session_store: str | None = None
    token_header: str = ""
    token_file: str | None = None
    allowed_hosts: list[str] = field(default_factory=list)
    allowed_origins: list[str] = field(default_factory=list)
    stateful: bool = False
    log_level: str = "info"
    library_log_level: str = "warning"


def make_tools(config_path: Path, *, session_store: Path | None, token_header: str, token_file: Path | None) -> Tools:
    config = load_server_config(config_path)
    identity = IdentitySettings(
        authorizer=config.gateway.authorizer.type,
        region=config.region,
        token_header=token_header,
        token_file=token_file,
    )
    store = open_store(table=config.session_table, region=config.region, config_path=config_path, path=session_store)
    return Tools(config, identity, store, GatewayClient(config.gateway.url, identity))


def build_app(options: HttpOptions, tools: Tools | None = None) -> ASGIApp:
    """The HTTP app. Everything built so far (the SDK's and our models, schemas, modules) lives as long as
    the process, so it leaves the garbage collector's generations (gc.freeze): the collector then scans only
    what requests allocate (measured: ~30 us less CPU per call at 16 clients, bench/server_overhead.py)."""
    tools = tools or make_tools(
        Path(options.config_path),
        session_store=Path(options.session_store) if options.session_store else None,
        token_header=options.token_header,
        token_file=Path(options.token_file) if options.token_file else None,
    )
    security = transport_security(options.allowed_hosts, options.allowed_origins)
    app = http_app(build_server(tools), stateful=options.stateful, security=security)
    gc.collect()
    gc.freeze()
    return app


def check_workers(workers: int, *, transport: str, stateful: bool) -> None:
    """Raises WorkersRefused unless `workers` processes can serve this transport."""
    if workers < 1:
        raise WorkersRefused("--workers must be at least 1")
    if workers == 1:
        return
    if transport != "http":
        raise WorkersRefused("--workers is for the HTTP transport: stdio serves one client on one pipe")
    if stateful:
        raise WorkersRefused(
            "--workers needs the stateless server: --stateful keeps each MCP session in one process's memory, "
            "so with several workers a session's requests would land on processes that never saw it"
        )


def uvicorn_target(options: HttpOptions, app: ASGIApp | None, workers: int) -> tuple[ASGIApp | str, dict[str, Any]]:
    """What to hand `uvicorn.run`: `app` itself (one worker), or the factory each of `workers` processes
    imports, with the options left in the environment for them."""
    common: dict[str, Any] = {"log_level": options.log_level, "log_config": None, "loop": "uvloop", "http": "httptools"}
    if workers == 1:
        return app or build_app(options), common
    os.environ[WORKER_OPTIONS_ENV] = json.dumps(asdict(options))
    return "server.serving:worker_app", {**common, "factory": True, "workers": workers}


def worker_app() -> ASGIApp:
    """uvicorn's factory in each worker process: the server built from the supervisor's options."""
    options = HttpOptions(**json.loads(os.environ[WORKER_OPTIONS_ENV]))
    configure_logging(options.log_level, library_level=options.library_log_level)
    return build_app(options)
