"""Outgoing rate limits for the Bot API (delivery that loses nothing).

Telegram's limits: about 30 messages/s overall, 1/s to one private chat, 20/min to one group.
`SendLimiter` spaces calls out with a next-allowed-time per key (GCRA, i.e. a token bucket kept
as one timestamp): a call takes its chat's slot synchronously and sleeps until it, then takes a
global slot the same way. Slots are handed out in call order, so waiting callers are served
first come, first served, and no lock is needed in one event loop.

A caller that must not wait long (the relay holds a claim on its rows) passes `max_wait`: when
the slot is further away than that, nothing is taken and `Throttled(wait)` is raised, so the
work can be rescheduled instead. The clock and sleep are injectable for tests.

The state is per process: several relays (processes) sending for one bot each keep their own
limiter, so give each `Limits.relaxed(1 / n)` to stay within the bot's limits together.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    global_per_second: float = 30.0
    global_burst: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: float = 20.0
    group_burst: int = 20

    @classmethod
    def relaxed(cls, factor: float) -> Limits:
        """Every rate multiplied by `factor` (tests, or a bot with raised limits)."""
        return cls(
            cls.global_per_second * factor,
            cls.global_burst,
            cls.private_per_second * factor,
            cls.private_burst,
            cls.group_per_minute * factor,
            cls.group_burst,
        )


class Throttled(Exception):
    """The next slot is more than `max_wait` away; nothing was taken."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"rate limited for {wait:.1f}s")
        self.wait = wait


class SendLimiter:
    PRUNE_AT = 10_000  # forget idle chats once this many are tracked

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        enabled: bool = True,
    ) -> None:
        self.limits = limits or Limits()
        self.clock = clock
        self.sleep = sleep
        self.enabled = enabled
        self._tat: dict[object, float] = {}  # key → theoretical arrival time of the next call
        self.waited = 0.0  # total seconds callers were told to wait (stats)
        self.throttled = 0

    def _shape(self, chat_id: int | None) -> tuple[float, int] | None:
        lim = self.limits
        if chat_id is None or chat_id == 0:
            return None
        if chat_id > 0:
            return 1.0 / lim.private_per_second, lim.private_burst
        return 60.0 / lim.group_per_minute, lim.group_burst

    def _take(self, key: object, interval: float, burst: int, cost: int, max_wait: float | None) -> float:
        """Take the next slot of one key (GCRA); seconds until it."""
        now = self.clock()
        tat = max(self._tat.get(key, now), now)
        start = max(now, tat - (burst - 1) * interval)
        wait = start - now
        if max_wait is not None and wait > max_wait:
            self.throttled += 1
            raise Throttled(wait)
        self._tat[key] = tat + interval * max(1, cost)
        if len(self._tat) > self.PRUNE_AT:
            self._tat = {k: t for k, t in self._tat.items() if t > now}
        return wait

    async def acquire(self, chat_id: int | None, cost: int = 1, max_wait: float | None = None) -> float:
        """Wait until a call to `chat_id` is within the limits; how long that took.

        The chat's slot first (the long wait; `max_wait` applies to it), then the global one at
        the moment of sending — so a chat waiting its turn never holds up the other chats."""
        if not self.enabled:
            return 0.0
        lim = self.limits
        waited = 0.0
        shape = self._shape(chat_id)
        if shape is not None:
            waited = self._take(chat_id, *shape, cost, max_wait)
            if waited > 0:
                await self.sleep(waited)
        wait = self._take("*", 1.0 / lim.global_per_second, lim.global_burst, cost, None)
        if wait > 0:
            await self.sleep(wait)
        waited += wait
        self.waited += waited
        return waited
