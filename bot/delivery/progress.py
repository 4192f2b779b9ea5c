"""Delivery progress, written as each Bot API call succeeds.

A row's delivery can be several calls (a unit card: the card, the old card marked replaced,
its photos, its location pin). Each part that went out is written to the row at once
(`outbox.progress`), before the next part starts, so a relay that dies midway — SIGKILL,
power loss — is continued by the next relay from the part after, instead of sending the card
again. Steps of concurrent deliveries that arrive while a write is running are written
together in the next transaction (group commit): one commit per burst, not per message.

What stays at-least-once is the window between Telegram accepting a call and its step being
committed (a few milliseconds), and calls in flight when the relay died."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

from bot.deps import WriteGate
from dispatch.db import outbox
from dispatch.db.outbox import Progress
from dispatch.service.app import App

log = logging.getLogger(__name__)
T = TypeVar("T")
WRITE_TRIES = 3


class ProgressLog:
    def __init__(self, app: App, gate: WriteGate) -> None:
        self.app = app
        self.gate = gate
        self.commits = 0
        self._queue: list[tuple[Progress, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, step: Progress) -> bool:
        """Record `step` and wait until it is committed; False if it could not be (logged: the
        row's outcome still records the delivery at the end). A cancelled caller still waits
        for the write, then the cancellation goes on."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((step, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="relay-progress")
        return await to_the_end(done)

    async def _drain(self) -> None:
        batch: list[tuple[Progress, asyncio.Future[bool]]] = []
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                ok = await self._commit([s for s, _ in batch])
                _settle(batch, ok)
        finally:  # cancelled (the loop is closing): nobody waits for ever
            _settle(batch + self._queue, False)

    async def _commit(self, steps: list[Progress]) -> bool:
        for attempt in range(WRITE_TRIES):
            try:
                async with self.gate():
                    async with self.app.uow() as uow:
                        await outbox.progress(uow, steps)
                        await uow.commit()
                self.commits += 1
                return True
            except Exception:
                log.exception("relay: could not record delivery progress (try %d)", attempt + 1)
                await asyncio.sleep(0.2 * 2**attempt)
        return False


def _settle(batch: list[tuple[Progress, asyncio.Future[bool]]], ok: bool) -> None:
    for _, done in batch:
        if not done.done():
            done.set_result(ok)


async def to_the_end(aw: Awaitable[T]) -> T:
    """Run `aw` to completion even if the caller is cancelled meanwhile (then re-raise that)."""
    fut = asyncio.ensure_future(aw)
    cancelled: asyncio.CancelledError | None = None
    while not fut.done():
        try:
            await asyncio.wait({fut})
        except asyncio.CancelledError as exc:
            cancelled = exc
    if cancelled is not None:
        raise cancelled
    return fut.result()
