"""How long the engine waits: poll intervals and timeouts, one frozen value the commands pass down
(`open_stack` -> `Context`, which the kinds' waits and the stack lock read). Data only.

People get the defaults. A caller that drives the CLI in-process (tests, through click's CliRunner) passes
its own as the root context's object, and every command uses them, with nothing patched:

    CliRunner().invoke(main, args, obj=EngineSettings(poll_initial=0.01, poll_max=0.05, lock_poll=0.05))
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineSettings:
    poll_initial: float = 0.5
    """Seconds before the first poll of a resource's status; doubled after each poll up to `poll_max`."""
    poll_max: float = 10.0
    wait_timeout: float = 1800.0
    """Seconds a create, update or delete may take before apply gives up on it."""
    propagation_timeout: float = 120.0
    """Seconds to retry the errors AWS gives while a new IAM role is not yet usable."""
    heartbeat: float = 10.0
    """Seconds between "still creating…" lines while a status does not change."""
    lock_poll: float = 2.0
    """Seconds between tries to take a stack lock another run holds (--lock-timeout)."""
