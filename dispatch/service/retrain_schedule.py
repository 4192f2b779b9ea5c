"""Scheduled NLU retraining (policy `nlu.retrain: {enabled, every_days}`).

The scheduler holding the lease calls `maybe_start()` after each tick. At most once
an hour (and never while one is running) it starts `gridbot nlu retrain --if-due
DAYS` as a low-priority child process: the command itself knows when the last
retrain was (the model store in the data directory) and returns at once when it is
not due. Training needs scikit-learn and ~20 s of CPU, hence a separate process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from dispatch.domain.policy import RetrainPolicy
from dispatch.service.ports import Clock

log = logging.getLogger(__name__)
COMMAND = (sys.executable, "-m", "gridbot.cli", "nlu", "retrain", "--quiet")
CHECK_EVERY = timedelta(hours=1)
NICENESS = 10


def _lower_priority() -> None:  # pragma: no cover - runs in the child
    with contextlib.suppress(OSError):
        os.nice(NICENESS)


class RetrainSchedule:
    def __init__(
        self,
        policy: Callable[[], RetrainPolicy],
        clock: Clock,
        command: Sequence[str] = COMMAND,
        check_every: timedelta = CHECK_EVERY,
    ) -> None:
        self._policy = policy
        self._clock = clock
        self.command = tuple(command)
        self.check_every = check_every
        self._last: datetime | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self.task: asyncio.Task[int] | None = None

    async def maybe_start(self) -> bool:
        """Start the retrain command if the policy asks for it and it is time to check."""
        policy = self._policy()
        if not policy.enabled or (self.task is not None and not self.task.done()):
            return False
        now = self._clock.now()
        if self._last is not None and now - self._last < self.check_every:
            return False
        self._last = now
        argv = [*self.command, "--if-due", f"{policy.every_days:g}"]
        self.task = asyncio.create_task(self._run(argv), name="nlu-retrain")
        return True

    async def _run(self, argv: list[str]) -> int:
        self._proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, preexec_fn=_lower_priority,
        )
        out, _ = await self._proc.communicate()
        code = self._proc.returncode or 0
        text = out.decode("utf-8", "replace").strip()
        if code in (0, 3):  # activated / not due / refused by the gate
            log.info("nlu retrain (exit %s): %s", code, text)
        else:
            log.warning("nlu retrain failed (exit %s): %s", code, text)
        return code

    async def close(self) -> None:
        """Stop a retrain still running (the next check starts it again)."""
        if self._proc is not None and self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.terminate()
        if self.task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self.task
