"""The demo's step runner: numbers and times each step; any failure names its step and its real cause."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import click

from demo.errors import StepFailed, root_cause

T = TypeVar("T")


@dataclass
class Steps:
    timings: list[tuple[str, float]] = field(default_factory=list)

    def run(self, title: str, action: Callable[[], T]) -> T:
        number = len(self.timings) + 1
        click.secho(f"\n[{number}] {title}", fg="cyan", bold=True)
        started = time.monotonic()
        try:
            result = action()
        except StepFailed as exc:
            raise StepFailed(f"step {number} ({title}) failed: {exc}") from exc
        except Exception as exc:  # any failure names its step and, from inside exception groups, its cause
            raise StepFailed(f"step {number} ({title}) failed: {root_cause(exc)}") from exc
        elapsed = time.monotonic() - started
        self.timings.append((title, elapsed))
        click.secho(f"    ok ({elapsed:.1f}s)", fg="green")
        return result

    def summary(self) -> None:
        click.secho("\nDemo complete. Step timings:", fg="green", bold=True)
        for title, seconds in self.timings:
            click.echo(f"  {seconds:6.1f}s  {title}")
        click.echo(f"  {sum(s for _, s in self.timings):6.1f}s  total")
