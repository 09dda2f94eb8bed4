"""User-facing problems as values (Terraform's tfdiags): every spec or apply problem becomes a
`Diagnostic` naming where it is and how to fix it; commands render the list and exit 1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reconciler.terminal import printable


@dataclass(frozen=True)
class Diagnostic:
    summary: str
    detail: str = ""
    file: str | None = None
    line: int | None = None
    key: str | None = None
    severity: Literal["error", "warning"] = "error"

    def format(self) -> str:
        """For a terminal: every part escaped and redacted (a key or summary may quote the user or AWS)."""
        where = ":".join(str(p) for p in (self.file, self.line) if p is not None)
        head = f"{self.severity.capitalize()}: {self.summary}"
        parts = [head]
        if where or self.key:
            parts.append(f"  at {where or '?'}" + (f" (key {self.key})" if self.key else ""))
        if self.detail:
            parts.append(f"  {self.detail}")
        return "\n".join(printable(part) for part in parts)


class DiagnosticsError(Exception):
    """Raised by the engine when it cannot go on; carries every problem found, not just the first."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__("\n".join(d.summary for d in diagnostics))
        self.diagnostics = diagnostics
