"""Logging for `mcp-server` and `oauth-callback`: one stderr handler that redacts credentials, and the
chatty third-party loggers held at WARNING unless asked.

Why both: `--log-level debug` used to set the root logger, so botocore's wire log printed the
CompleteResourceTokenAuth body with the user's JWT. Pinning the libraries keeps that output off by
default; the filter catches a token whatever logger, level or exception carries it, even when the
libraries are asked for DEBUG.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from typing import Any, TextIO, TypeVar

import click

LEVELS = ("debug", "info", "warning", "error")
FC = TypeVar("FC", bound=Callable[..., Any])


def log_options(command: FC) -> FC:
    """`--log-level` and `--library-log-level`, the same for mcp-server and oauth-callback."""
    command = click.option(
        "--library-log-level",
        type=click.Choice(LEVELS),
        default="warning",
        show_default=True,
        help="For botocore, boto3, urllib3, httpx, httpcore and the MCP SDK. Credentials are redacted at every level.",
    )(command)
    return click.option("--log-level", type=click.Choice(LEVELS), default="info", show_default=True)(command)


THIRD_PARTY = ("botocore", "boto3", "s3transfer", "urllib3", "httpcore", "httpx", "mcp", "starlette")
"""Held at WARNING unless `--library-log-level` asks for more. (uvicorn's loggers follow `--log-level`:
`uvicorn.run(log_level=...)` sets them; they log the listening address and request lines.)"""
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"

_CREDENTIALS = re.compile(
    r"""
      (?P<scheme>\bbearer\s+|[?&](?:code|link|session_id)=)[A-Za-z0-9\-._~+/%:]{8,}=*
        # Bearer <token>; in a URL, an authorization code, a one-time consent link's value or a session URI
    | eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*              # a JWT (JWS compact): three base64url segments
    | \bgh[pousr]_[A-Za-z0-9_]{16,}                                 # GitHub tokens (gho_, ghu_, ...)
    """,
    re.IGNORECASE | re.VERBOSE,
)


def redact(text: str) -> str:
    """`text` with bearer credentials, JWT-shaped strings and GitHub tokens replaced by [redacted]."""
    return _CREDENTIALS.sub(lambda m: (m.group("scheme") or "") + REDACTED, text)


class RedactCredentials(logging.Filter):
    """On a handler: rewrites each record's message, exception and stack text before it is formatted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string from a library: keep what there is, still redacted
            message = f"{record.msg!s} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def configure_logging(level: str, *, library_level: str = "warning", stream: TextIO | None = None) -> None:
    """The programs' logging: the root at `level` with one redacting stderr handler, libraries at
    `library_level` (WARNING by default). uvicorn must be run with `log_config=None` so that its loggers
    reach this handler instead of handlers of its own."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in THIRD_PARTY:
        logging.getLogger(name).setLevel(library_level.upper())
    guard_handlers()


def guard_handlers() -> None:
    """Put the redacting filter on every handler of the root logger and of every configured logger."""
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict))]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, RedactCredentials) for f in handler.filters):
                handler.addFilter(RedactCredentials())
