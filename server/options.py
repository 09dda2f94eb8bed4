"""What `mcp-server`'s command line asks for, checked before anything is built: option defaults the modules
behind it share (`DEFAULT_TOKEN_HEADER`), the refusal of `--workers` where it cannot work, and `HttpOptions`,
what a process needs to build the HTTP server (server/serving.py hands it to worker processes).

server/__main__.py imports this before it parses the command line, so `--help` loads it: nothing heavy here
(no MCP SDK, no pydantic model, no boto3, no PyJWT)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# AWS_FACTS: headers reaching a Runtime container are expected to carry this prefix (UNCONFIRMED).
DEFAULT_TOKEN_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-User-Token"
"""Where the user's JWT rides when `Authorization` carries SigV4 (mcp-proxy-for-aws `--header`)."""


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
    resource_url: str | None = None
    """Serve as an OAuth resource server at this URL (--resource-url)."""


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


def split_list(values: Sequence[str]) -> list[str]:
    """Option values, each possibly comma-separated (`MCP_ALLOWED_HOSTS=a.example,b.example`)."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]
