"""Incoming flood limits: one person sending faster than any person types.

A token bucket per (chat, sender): `burst` messages at once, refilled at `per_second`. A
message or press beyond it is limited: it is stored in the transcript (`payload.limited =
true`) but not answered or acted on. The first limited message of a flood gets one notice
("slow down; what you sent is saved, send it again in a moment"); the next notice comes only
after the person's bucket has filled up again (they slowed down for `burst / per_second`
seconds), so a flood of any length costs one notice. A report text sent while limited is
not lost: it is in the transcript — during a report, linked to the case on submit with the
rest of the conversation — and the notice asks the person to send it again.

The buckets live in the process (`MemoryBuckets`), or in Redis when the bot's FSM state is
there (`RedisBuckets`: one Lua script, so several bot workers share one bucket per person).
Other people have their own buckets and are not affected."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update

import texts

log = logging.getLogger("bot.flood")


@dataclass(frozen=True)
class FloodLimits:
    per_second: float = 2.0
    burst: int = 30

    @property
    def enabled(self) -> bool:
        return self.per_second > 0 and self.burst > 0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    notify: bool = False  # the first limited message of this flood


ALLOWED = Verdict(True)


class Buckets(Protocol):
    async def take(self, key: str, limits: FloodLimits, now: float) -> Verdict: ...


class MemoryBuckets:
    """Per-process buckets: (tokens, at, noticed) by key."""

    PRUNE_AT = 10_000

    def __init__(self) -> None:
        self._state: dict[str, tuple[float, float, bool]] = {}

    async def take(self, key: str, limits: FloodLimits, now: float) -> Verdict:
        tokens, at, noticed = self._state.get(key, (float(limits.burst), now, False))
        tokens = min(float(limits.burst), tokens + max(0.0, now - at) * limits.per_second)
        if tokens >= limits.burst:
            noticed = False  # slowed down long enough: a new flood gets a new notice
        if tokens >= 1.0:
            verdict = ALLOWED
            tokens -= 1.0
        else:
            verdict = Verdict(False, notify=not noticed)
            noticed = True
        self._state[key] = (tokens, now, noticed)
        if len(self._state) > self.PRUNE_AT:
            full = limits.burst / limits.per_second
            self._state = {k: v for k, v in self._state.items() if now - v[1] < full}
        return verdict


# The same bucket as MemoryBuckets, atomically in Redis; the key expires once it would be full.
_TAKE = """
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 't', 'at', 'n')
local tokens = tonumber(v[1]) or burst
local at = tonumber(v[2]) or now
local noticed = v[3] == '1'
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
if tokens >= burst then noticed = false end
local allowed, notify = 0, 0
if tokens >= 1 then
  allowed = 1
  tokens = tokens - 1
else
  if not noticed then notify = 1 end
  noticed = true
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(now), 'n', noticed and '1' or '0')
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return {allowed, notify}
"""


class RedisBuckets:
    """At most `concurrency` checks at once: a flood arrives as hundreds of concurrent updates,
    and the Redis client's pool (shared with the FSM storage) refuses to open more than its
    maximum of connections instead of waiting for one."""

    def __init__(self, redis: Any, prefix: str = "flood", concurrency: int = 8) -> None:
        self.redis = redis
        self.prefix = prefix
        self._script = redis.register_script(_TAKE)
        self._slots = asyncio.Semaphore(concurrency)

    async def take(self, key: str, limits: FloodLimits, now: float) -> Verdict:
        ttl = max(1, math.ceil(limits.burst / limits.per_second) + 1)
        async with self._slots:
            allowed, notify = await self._script(
                keys=[f"{self.prefix}:{key}"], args=[limits.per_second, limits.burst, now, ttl]
            )
        return ALLOWED if int(allowed) else Verdict(False, notify=bool(int(notify)))


def sender_key(event: TelegramObject) -> str | None:
    """"chat:sender" of a message or press; None for what has neither (never limited). A
    message without `from` (a channel post, an anonymous admin) counts by its `sender_chat`."""
    if isinstance(event, CallbackQuery):
        chat = event.message.chat.id if event.message is not None else 0
        return f"{chat}:{event.from_user.id}"
    if isinstance(event, Message):
        sender = event.from_user or event.sender_chat
        return f"{event.chat.id}:{sender.id if sender is not None else event.chat.id}"
    return None


class FloodGuard:
    def __init__(
        self, limits: FloodLimits, buckets: Buckets, clock: Callable[[], float] = time.time
    ) -> None:
        self.limits = limits
        self.buckets = buckets
        self.clock = clock
        self.limited = 0  # stats

    async def check(self, event: TelegramObject) -> Verdict:
        if not self.limits.enabled:
            return ALLOWED
        key = sender_key(event)
        if key is None:
            return ALLOWED
        try:
            verdict = await self.buckets.take(key, self.limits, self.clock())
        except Exception:  # a Redis hiccup must not silence the bot
            log.warning("flood check failed; message let through", exc_info=True)
            return ALLOWED
        if not verdict.allowed:
            self.limited += 1
        return verdict


Store = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class FloodMiddleware(BaseMiddleware):
    """Outer middleware on updates, before aiogram's FSM middleware: a limited message or
    press never waits for the person's state lock (a flood of hundreds would queue on it —
    with Redis, hundreds of lock pollers), it is stored (`store`: the inbound middleware's
    row, marked limited) and dropped; the first of a flood gets the notice."""

    def __init__(self, guard: FloodGuard, store: Store) -> None:
        self.guard = guard
        self.store = store

    async def __call__(self, handler: Any, update: TelegramObject, data: dict[str, Any]) -> Any:
        event = (update.message or update.callback_query) if isinstance(update, Update) else None
        if event is None:
            return await handler(update, data)
        verdict = await self.guard.check(event)
        if verdict.allowed:
            return await handler(update, data)
        await self.store(event, data)
        try:
            if isinstance(event, CallbackQuery):
                await event.answer(texts.FLOOD_PRESS)
            elif verdict.notify and event.chat.type == "private":
                await event.answer(texts.FLOOD_NOTICE)
        except Exception as exc:  # the notice is a courtesy
            log.info("flood notice failed: %s", exc)
        return None
