"""The conversation state in Redis, read once per update.

aiogram's `RedisStorage` makes a round trip for every `get_state` / `get_data`: while one
update is handled the same person's data was read three times (middlewares, the handler's
draft) besides the state, nine round trips an update in all — a third of the bot's CPU on the
PostgreSQL + Redis path. Updates of one person are handled one at a time under the event
isolation lock (`CachingRedisIsolation.lock`), so while the lock is held nobody else changes
that person's state: the first read fetches state and data together (one MGET) and later
reads of the same key are answered from that copy. Writes go to Redis at once, as before
(a crash loses nothing that was written); a write that would store exactly what is already
there is skipped when there is no TTL to refresh. Outside a locked update (the scheduler, a
handler looking at someone else's conversation) every call goes to Redis as aiogram's does.

The keys, values and their format are aiogram's own: a running conversation survives the
switch in either direction."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StateType, StorageKey
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage


@dataclass
class _Held:
    """What is known of the locked key's conversation during one update."""

    key: StorageKey
    loaded: bool = False
    state: str | None = None
    data_json: str | None = None  # as stored; decoded afresh for every reader


_HELD: ContextVar[_Held | None] = ContextVar("gridbot_fsm_held", default=None)


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return None if value is None else str(value)


class CachingRedisStorage(RedisStorage):
    def _held(self, key: StorageKey) -> _Held | None:
        held = _HELD.get()
        return held if held is not None and held.key == key else None

    async def _load(self, held: _Held) -> _Held:
        if not held.loaded:
            state, data = await self.redis.mget(
                self.key_builder.build(held.key, "state"), self.key_builder.build(held.key, "data")
            )
            held.state, held.data_json, held.loaded = _text(state), _text(data), True
        return held

    async def get_state(self, key: StorageKey) -> str | None:
        held = self._held(key)
        if held is None:
            return await super().get_state(key)
        return (await self._load(held)).state

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        held = self._held(key)
        if held is None:
            return await super().get_data(key)
        raw = (await self._load(held)).data_json
        return {} if raw is None else dict(self.json_loads(raw))

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        held = self._held(key)
        if held is not None and held.loaded and held.state == value and self.state_ttl is None:
            return
        await super().set_state(key, state)
        if held is not None and held.loaded:
            held.state = value

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        held = self._held(key)
        if held is None or not isinstance(data, dict):
            await super().set_data(key, data)  # aiogram's checks and errors
            return
        raw = self.json_dumps(data) if data else None
        if held.loaded and held.data_json == raw and self.data_ttl is None:
            return
        await super().set_data(key, data)
        if held.loaded:
            held.data_json = raw

    def create_isolation(self, **kwargs: Any) -> CachingRedisIsolation:
        return CachingRedisIsolation(redis=self.redis, key_builder=self.key_builder, **kwargs)


class CachingRedisIsolation(RedisEventIsolation):
    """aiogram's per-person Redis lock; while it is held, that person's conversation is read
    from Redis once (see the module's docstring)."""

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        async with super().lock(key):
            token = _HELD.set(_Held(key))
            try:
                yield None
            finally:
                _HELD.reset(token)
