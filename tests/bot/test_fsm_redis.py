"""The conversation state in Redis is read once per update while the person's lock is held,
written at once, and stored exactly as aiogram's own Redis storage stores it."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from aiogram.fsm.storage.redis import RedisStorage

from bot.fsm_redis import CachingRedisStorage

pytestmark = pytest.mark.redis


@pytest.fixture
async def stores() -> AsyncIterator[tuple[CachingRedisStorage, RedisStorage, Counter[str]]]:
    url = os.environ.get("GRIDBOT_TEST_REDIS_URL")
    if not url:
        pytest.skip("GRIDBOT_TEST_REDIS_URL not set")
    keys = DefaultKeyBuilder(prefix=f"gridbot-test-{uuid.uuid4().hex[:8]}")
    ours = CachingRedisStorage.from_url(url, key_builder=keys)
    theirs = RedisStorage.from_url(url, key_builder=keys)
    calls: Counter[str] = Counter()
    original = ours.redis.execute_command

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls[str(args[0]).upper()] += 1
        return await original(*args, **kwargs)

    ours.redis.execute_command = counted  # type: ignore[method-assign]
    try:
        yield ours, theirs, calls
    finally:
        await ours.close()
        await theirs.close()


KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)


async def _an_update(storage: Any) -> None:
    """What handling one report step does: the state, the data read three times, the state
    and the data written (the data twice, the second time unchanged)."""
    await storage.get_state(KEY)
    data = await storage.get_data(KEY)
    await storage.get_data(KEY)
    await storage.get_data(KEY)
    data["n"] = data.get("n", 0) + 1
    data.setdefault("photos", []).append("p")
    await storage.set_state(KEY, "Report:photos")
    await storage.set_data(KEY, data)
    await storage.set_data(KEY, data)


async def test_one_read_per_update_while_the_lock_is_held(stores) -> None:
    ours, theirs, calls = stores
    isolation = ours.create_isolation()
    async with isolation.lock(KEY):
        calls.clear()
        await _an_update(ours)
    # one MGET, the two writes that change something, the lock released (aiogram's own: 4 GET + 3 SET)
    assert calls == Counter({"MGET": 1, "SET": 2, "EVALSHA": 1}), calls
    assert await theirs.get_state(KEY) == "Report:photos"
    assert await theirs.get_data(KEY) == {"n": 1, "photos": ["p"]}
    async with isolation.lock(KEY):
        await _an_update(ours)
    assert await theirs.get_data(KEY) == {"n": 2, "photos": ["p", "p"]}


async def test_a_reader_cannot_change_the_copy_others_read(stores) -> None:
    ours, _, _ = stores
    await ours.set_data(KEY, {"photos": ["a"]})
    async with ours.create_isolation().lock(KEY):
        first = await ours.get_data(KEY)
        first["photos"].append("changed in place")
        assert await ours.get_data(KEY) == {"photos": ["a"]}


async def test_without_the_lock_every_read_goes_to_redis(stores) -> None:
    ours, theirs, calls = stores
    await ours.set_data(KEY, {"v": 1})
    assert await ours.get_data(KEY) == {"v": 1}
    await theirs.set_data(KEY, {"v": 2})  # someone else, meanwhile
    assert await ours.get_data(KEY) == {"v": 2}
    other = StorageKey(bot_id=1, chat_id=7, user_id=7)
    async with ours.create_isolation().lock(KEY):
        await theirs.set_data(other, {"w": 1})
        assert await ours.get_data(other) == {"w": 1}  # another person's: not held, read afresh
        await theirs.set_data(other, {"w": 2})
        assert await ours.get_data(other) == {"w": 2}


async def test_clearing_is_stored_and_seen(stores) -> None:
    ours, theirs, _ = stores
    await theirs.set_state(KEY, "Report:confirm")
    await theirs.set_data(KEY, {"nonce": 5})
    async with ours.create_isolation().lock(KEY):
        assert await ours.get_state(KEY) == "Report:confirm"
        await ours.set_state(KEY, None)
        await ours.set_data(KEY, {})
        assert await ours.get_state(KEY) is None and await ours.get_data(KEY) == {}
    assert await theirs.get_state(KEY) is None and await theirs.get_data(KEY) == {}
