"""What every `reconcile` command shares: errors for people (one red line, exit 1; tracebacks only
with --debug), exit codes a pipeline can trust, and the options (stack, AWS, view, lock, selection)
with the values they become."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import click

from handoff.options import config_option
from reconciler.diagnostics import DiagnosticsError
from reconciler.settings import EngineSettings
from reconciler.terminal import printable

if TYPE_CHECKING:
    from reconciler.kinds.base import Context
    from reconciler.plan import Plan

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


class Fail(click.ClickException):
    """One red line on stderr, exit 1 (escaped and redacted: it may quote AWS or the user)."""

    def show(self, file: Any = None) -> None:
        click.secho(f"Error: {printable(self.message)}", fg="red", err=True, color=colour_wanted())


_no_colour_asked = False
"""--no-color was on the command line (Commands.main sees it before any command runs)."""


def colour_wanted() -> bool | None:
    """False when NO_COLOR is set (https://no-color.org) or --no-color was given; None lets click decide
    (colour on a terminal only)."""
    return False if _no_colour_asked or os.environ.get("NO_COLOR") else None


def progress(message: str) -> None:
    click.echo(printable(message), err=True)


def source_commit(stack_file: Path) -> str | None:
    """The commit being planned, for the markdown heading: GITHUB_SHA in a workflow, else the checkout's HEAD."""
    if os.environ.get("GITHUB_SHA"):
        return os.environ["GITHUB_SHA"][:12]
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=stack_file.resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout.strip() or None if found.returncode == 0 else None


def engine_settings() -> EngineSettings:
    """The waits for this command: the root context's object when the caller passed one (tests:
    `CliRunner().invoke(main, args, obj=EngineSettings(poll_initial=0.01, ...))`), else the defaults."""
    context = click.get_current_context(silent=True)
    found = context.find_object(EngineSettings) if context is not None else None
    return found if found is not None else EngineSettings()


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(command)
    def wrapper(*args: Any, debug: bool = False, **kwargs: Any) -> Any:
        try:
            with terminated_as_interrupt():
                return command(*args, **kwargs)
        except DiagnosticsError as exc:
            for d in exc.diagnostics:
                colour = colour_wanted()
                click.secho(d.format(), fg="red" if d.severity == "error" else "yellow", err=True, color=colour)
            _traceback(debug)
            sys.exit(EXIT_ERROR)
        except click.ClickException:
            raise
        except Exception as exc:
            _traceback(debug)
            raise Fail(explain(exc)) from exc
        except KeyboardInterrupt:
            click.secho(
                "Interrupted. Calls in flight were allowed to finish; run `reconcile apply` again to converge.",
                fg="yellow",
                err=True,
            )
            sys.exit(EXIT_ERROR)

    return wrapper


@contextmanager
def terminated_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI runner cancelling a job, `kill`) is handled like Ctrl-C: KeyboardInterrupt in the main
    thread, so the calls in flight finish, the lock is released and the message says how to converge. Only
    in the main thread (signal handlers can be set nowhere else); the previous handler comes back after."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def explain(exc: Exception) -> str:
    """The one line a person reads for an error a command did not handle itself."""
    from reconciler.aws import explain  # light; botocore itself only if a command loaded it

    said = explain(exc, unreachable=unreachable)
    if said is not None:
        return said
    if isinstance(exc, RuntimeError) or _is_config_error(exc):
        return str(exc)
    return f"internal error: {type(exc).__name__}: {exc} (re-run with --debug for the traceback, and report it)"


def _is_config_error(exc: Exception) -> bool:
    config = sys.modules.get("handoff.config")
    return config is not None and isinstance(exc, config.ConfigError)


def unreachable(endpoint: str) -> str:
    """Which endpoint did not answer, and the likely cause when it is this machine (the sandbox)."""
    host = urlparse(endpoint).hostname or ""
    message = f"cannot reach the AWS endpoint {endpoint or '(unknown)'}"
    if host in ("localhost", "::1") or host.startswith("127."):
        return message + ": nothing answers there. Is `reconcile sandbox` running? (AWS_ENDPOINT_URL points at it)"
    return message + ": check the network, AWS_REGION and AWS_ENDPOINT_URL"


def _traceback(debug: bool) -> None:
    if debug:
        traceback.print_exc()


def stack_option(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--stack",
        "stack_file",
        type=click.Path(path_type=Path),
        default=Path("stack.yaml"),
        show_default=True,
        help="Desired-state file.",
    )(command)
    return click.option("--debug", is_flag=True, help="Show tracebacks.")(command)


def aws_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option("--profile", help="AWS profile (default: AWS_PROFILE / boto3's chain).")(command)
    return click.option("--region", help="AWS region (default: AWS_REGION, then `region:` in the stack file).")(command)


@dataclass(frozen=True)
class View:
    """How a plan is shown to people."""

    show_unchanged: bool = False
    compact: bool = False
    colour: bool = False

    def print_plan(self, the_plan: Plan) -> None:
        from reconciler.rendering import format_text, plan_document

        text = format_text(
            plan_document(the_plan), show_unchanged=self.show_unchanged, compact=self.compact, colour=self.colour
        )
        click.echo(text, color=self.colour)


def view_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--show-unchanged, --compact, --no-color; turned into `view: View` for the command."""

    @functools.wraps(command)
    def wrapper(*args: Any, show_unchanged: bool, compact: bool, no_color: bool, **kwargs: Any) -> Any:
        colour = not no_color and not os.environ.get("NO_COLOR") and sys.stdout.isatty()
        return command(*args, view=View(show_unchanged, compact, colour), **kwargs)

    wrapper = click.option(
        "--no-color", is_flag=True, help="No colour (also off with NO_COLOR set or when not a terminal)."
    )(wrapper)
    wrapper = click.option("--compact", is_flag=True, help="Values on one line, long ones cut (default: in full).")(
        wrapper
    )
    return click.option("--show-unchanged", is_flag=True, help="Show unchanged resources and fields too.")(wrapper)


@dataclass(frozen=True)
class Lock:
    enabled: bool
    timeout: float


def lock_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--lock / --lock-timeout, turned into `lock: Lock` for the command."""

    @functools.wraps(command)
    def wrapper(*args: Any, lock: bool, lock_timeout: str, **kwargs: Any) -> Any:
        return command(*args, lock=Lock(lock, parse_duration(lock_timeout)), **kwargs)

    wrapper = click.option(
        "--lock-timeout",
        default="0s",
        show_default=True,
        help="How long to wait for another run's lock (e.g. 30s, 5m) before giving up.",
    )(wrapper)
    return click.option(
        "--lock",
        type=click.BOOL,
        default=True,
        show_default=True,
        help="Hold the stack's lock (an SSM parameter /reconcile/<stack>/lock) while changing AWS; --lock=false skips it.",
    )(wrapper)


def parse_duration(text: str) -> float:
    """`90`, `90s`, `5m`, `1h` -> seconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    number, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "s")
    try:
        return float(number) * units[unit]
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a duration like 30s, 5m or 1h", param_hint="--lock-timeout"
        ) from None


@contextmanager
def locked(ctx: Context, stack: str, command: str, lock: Lock) -> Iterator[None]:
    if not lock.enabled:
        yield
        return
    from reconciler.locking import stack_lock

    with stack_lock(
        ctx.clients.ssm, stack, command=command, timeout=lock.timeout, progress=progress, poll=ctx.lock_poll
    ):
        yield


def selection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--target and --replace (repeatable), as frozensets `targets` and `forced`."""

    @functools.wraps(command)
    def wrapper(*args: Any, target: tuple[str, ...], replace: tuple[str, ...], **kwargs: Any) -> Any:
        return command(*args, targets=frozenset(target), forced=frozenset(replace), **kwargs)

    wrapper = click.option(
        "--replace",
        multiple=True,
        metavar="ADDRESS",
        help="Replace this resource even where an update would do (repeatable).",
    )(wrapper)
    return click.option(
        "--target",
        multiple=True,
        metavar="ADDRESS",
        help="Only this resource and what it depends on (repeatable; removed ones as removed.<name>).",
    )(wrapper)


def config_written_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return config_option(help="Where apply writes the hand-off for mcp-server and oauth-callback.")(command)


class Commands(click.Group):
    """Usage errors (a mistyped flag) exit 1, not click's 2: a pipeline reads 2 from
    `plan --detailed-exitcode` as "changes present"."""

    def main(  # type: ignore[override]
        self, args: list[str] | None = None, prog_name: str | None = None, standalone_mode: bool = True, **extra: Any
    ) -> Any:
        global _no_colour_asked
        _no_colour_asked = "--no-color" in (sys.argv[1:] if args is None else args)
        if colour_wanted() is False:
            extra.setdefault("color", False)  # every echo of the command, warnings and errors included
        if not standalone_mode:
            return super().main(args, prog_name, standalone_mode=False, **extra)
        try:
            return super().main(args, prog_name, standalone_mode=False, **extra)
        except click.UsageError as exc:
            exc.show()
            sys.exit(EXIT_ERROR)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(EXIT_ERROR)
