"""What `mcp-server`'s command line asks for, checked before anything is built: option defaults the modules
behind it share (`DEFAULT_TOKEN_HEADER`), which gateway tools are offered (`ToolChoice`: --toolsets,
--allow-writes), the refusal of `--workers` where it cannot work, and `HttpOptions`, what a process needs to
build the HTTP server (server/serving.py hands it to worker processes).

server/__main__.py imports this before it parses the command line, so `--help` loads it: nothing heavy here
(no MCP SDK, no pydantic model, no boto3, no PyJWT)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

# AWS_FACTS: headers reaching a Runtime container are expected to carry this prefix (UNCONFIRMED).
DEFAULT_TOKEN_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-User-Token"
"""Where the user's JWT rides when `Authorization` carries SigV4 (mcp-proxy-for-aws `--header`)."""


TOOLSETS = ("context", "repos", "issues", "pull_requests", "search")
"""The shipped openapi/github.yaml's toolsets (its operations' first tags), for `--help`, which must not read the
document (it is not beside a packaged server, and --help stays fast): tests/server/test_tool_choice.py checks
them against the document. A stack's own document may add tags; the hand-off says which (config.json)."""
TOOLSETS_VARIABLE = "MCP_TOOLSETS"
WRITES_VARIABLE = "MCP_ALLOW_WRITES"
"""The environment variables behind --toolsets and --allow-writes (a stack's agent_runtime `environment:`)."""
ALL = "all"


@dataclass(frozen=True)
class ToolChoice:
    """Which gateway tools are offered: the toolsets (None: all) and whether writes are. Read-only unless
    --allow-writes: a write is a deliberate choice of whoever runs the server."""

    toolsets: frozenset[str] | None = None
    writes: bool = False

    @classmethod
    def parse(cls, toolsets: Iterable[str], *, writes: bool) -> ToolChoice:
        """`toolsets`: option values, each possibly comma-separated; empty or naming `all`: every toolset."""
        names = frozenset(split_list(toolsets))
        return cls(None if not names or ALL in names else names, writes)

    def offers(self, toolset: str) -> bool:
        return self.toolsets is None or toolset in self.toolsets

    def unknown(self, known: Iterable[str]) -> str | None:
        """Why the chosen toolsets are not all among `known` (those the hand-off's operations belong to), None when
        they are; the message names the valid choices."""
        if self.toolsets is None:
            return None
        known = sorted(set(known) - {""})
        wrong = sorted(self.toolsets - set(known))
        if not wrong:
            return None
        if not known:
            return (
                f"{', '.join(map(repr, wrong))}: the hand-off describes no toolsets (written before they existed?); run "
                f"`reconcile apply`, or choose {ALL}"
            )
        verb = "are" if len(wrong) > 1 else "is"
        return f"{', '.join(map(repr, wrong))} {verb} not among this stack's toolsets; choose from {', '.join(known)}, or {ALL}"


DEFAULT_CHOICE = ToolChoice()
"""Read-only, every toolset: what the command line chooses unless told otherwise."""


class ToolsetsRefused(Exception):
    """--toolsets names a toolset the hand-off does not know; the message names the valid choices."""


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
    toolsets: list[str] | None = None
    """--toolsets (None: all)."""
    allow_writes: bool = False

    @property
    def choice(self) -> ToolChoice:
        return ToolChoice.parse(self.toolsets or (), writes=self.allow_writes)


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


def split_list(values: Iterable[str]) -> list[str]:
    """Option values, each possibly comma-separated (`MCP_ALLOWED_HOSTS=a.example,b.example`)."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]
