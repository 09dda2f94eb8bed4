"""One apply or destroy of a stack at a time, across machines, with nothing to set up beforehand: an
SSM parameter `/reconcile/<stack>/lock` created with Overwrite=False, which AWS creates only if it
does not exist (PutParameter: ParameterAlreadyExists otherwise). It names who holds it, where, since
when and for which command. Released on success, failure and Ctrl-C; `reconcile unlock ID` removes
a lock left by a run that died (Terraform's force-unlock). The SSM calls themselves are in
reconciler.kinds.lock_parameter.
"""

from __future__ import annotations

import getpass
import json
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from reconciler.kinds import lock_parameter
from reconciler.terminal import printable

POLL = 2.0


class LockHeld(RuntimeError):
    """Someone else holds the stack's lock; the message names them and the way out."""


@dataclass(frozen=True)
class LockInfo:
    id: str
    who: str
    where: str
    since: str
    command: str

    def describe(self) -> str:
        """Escaped: anyone who can write the parameter chooses these strings (reconciler.terminal)."""
        text = f"{self.who}@{self.where} since {self.since} ({self.command}), lock id {self.id}"
        return printable(text)


def lock_name(stack: str) -> str:
    return f"/reconcile/{stack}/lock"


@contextmanager
def stack_lock(
    ssm: Any, stack: str, *, command: str, timeout: float, progress: Callable[[str], None], poll: float = POLL
) -> Iterator[LockInfo]:
    """Holds the lock for the `with` block; waits up to `timeout` seconds for another run's, trying every `poll`."""
    mine = LockInfo(str(uuid.uuid4()), getpass.getuser(), socket.gethostname(), _now(), command)
    deadline, told = time.monotonic() + timeout, False
    while not _take(ssm, stack, mine):
        holder = holder_of(ssm, stack)
        if holder is None:
            continue  # released between our try and our look: try again
        if time.monotonic() >= deadline:
            raise LockHeld(
                f"stack {stack!r} is locked by {holder.describe()}. Wait for it (--lock-timeout 5m), or if that "
                f"run died, remove the lock with `reconcile unlock {holder.id}`"
            )
        if not told:
            progress(f"Waiting for the lock of stack {stack!r}, held by {holder.describe()}...")
            told = True
        time.sleep(poll)
    try:
        yield mine
    finally:
        _release(ssm, stack, mine.id)


def holder_of(ssm: Any, stack: str) -> LockInfo | None:
    value = lock_parameter.value_of(ssm, lock_name(stack))
    if value is None:
        return None
    try:
        return LockInfo(**json.loads(value))
    except (ValueError, TypeError):
        return LockInfo(id="(unreadable)", who="?", where="?", since="?", command=value[:80])


def force_unlock(ssm: Any, stack: str, lock_id: str) -> LockInfo:
    """Remove the lock if it is the one named (so a new holder's lock is never removed by mistake)."""
    holder = holder_of(ssm, stack)
    if holder is None:
        raise LockHeld(f"stack {stack!r} is not locked")
    if holder.id != lock_id:
        raise LockHeld(f"the lock of stack {stack!r} has id {holder.id}, not {lock_id}: held by {holder.describe()}")
    lock_parameter.delete(ssm, lock_name(stack))
    return holder


def _take(ssm: Any, stack: str, mine: LockInfo) -> bool:
    return lock_parameter.put_if_absent(
        ssm,
        lock_name(stack),
        json.dumps(asdict(mine)),
        description="reconcile: an apply or destroy of this stack is running",
    )


def _release(ssm: Any, stack: str, lock_id: str) -> None:
    holder = holder_of(ssm, stack)
    if holder is not None and holder.id == lock_id:
        lock_parameter.delete(ssm, lock_name(stack))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
