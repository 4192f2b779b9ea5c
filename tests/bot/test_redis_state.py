"""Conversation state in Redis (GRIDBOT_REDIS_URL): the same flow, and a step survives a
restart of the bot."""

from __future__ import annotations

import os
import uuid

import pytest

from tests.bot.conftest import RESIDENT
from tests.bot.helpers import case_row, number_in

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("GRIDBOT_TEST_REDIS_URL")
    if not url:
        pytest.skip("GRIDBOT_TEST_REDIS_URL not set")
    return url


async def _place_then_card(resident):
    """From "识别到地点" to the summary card: take the place, skip photos."""
    await resident.press("就在人民广场")
    await resident.wait_for_message("现场照片")
    await resident.press("跳过")
    await resident.wait_for_message("请核对")


async def test_a_report_survives_a_bot_restart_with_redis(app, sandbox, nlu, redis_url):
    from bot.runtime import build_runtime

    prefix = f"gridbot-test-{uuid.uuid4().hex[:8]}"

    def runtime():
        return build_runtime(
            app,
            nlu,
            token=sandbox.token,
            api_base=sandbox.url,
            channel="sandbox",
            redis_url=redis_url,
            fsm_prefix=prefix,
        )

    first = runtime()
    await first.start(polling_timeout=1)
    client = sandbox.client()
    try:
        resident = client.user(RESIDENT)
        await resident.send_text("人民广场垃圾没人收")
        await resident.wait_for_message("识别到地点")
        await first.stop()  # the bot restarts mid-conversation

        second = runtime()
        await second.start(polling_timeout=1)
        try:
            await _place_then_card(resident)
            await resident.press("✅ 提交")
            done = await resident.wait_for_message("已受理")
        finally:
            await second.stop()
    finally:
        await client.close()
    assert (await case_row(app, number_in(done["text"]))).category == "garbage"


async def test_stopping_waits_for_a_handler_in_flight(app, sandbox, nlu, redis_url, monkeypatch):
    """A bot stopped while an update is being handled lets it finish before the storage
    closes: the case is stored and the chat's FSM lock in Redis is released, so the next
    bot answers this chat at once (not after the lock's 60 s timeout)."""
    import asyncio

    import redis.asyncio as aioredis

    from bot.deps import Commands
    from bot.runtime import build_runtime

    prefix = f"gridbot-test-{uuid.uuid4().hex[:8]}"
    entered, release = asyncio.Event(), asyncio.Event()
    real_submit = Commands.submit

    async def slow_submit(self, draft, also=None):
        entered.set()
        await release.wait()
        return await real_submit(self, draft, also)

    def runtime():
        return build_runtime(
            app, nlu, token=sandbox.token, api_base=sandbox.url, channel="sandbox",
            redis_url=redis_url, fsm_prefix=prefix,
        )

    first = runtime()
    closed_while_handling: list[bool] = []
    real_close = first.dp.storage.close

    async def close_storage() -> None:  # when does the storage close: before the handler ends?
        closed_while_handling.append(not release.is_set())
        await real_close()

    first.dp.storage.close = close_storage  # type: ignore[method-assign]
    await first.start(polling_timeout=1)
    client = sandbox.client()
    try:
        resident = client.user(RESIDENT)
        await resident.send_text("人民广场垃圾没人收")
        await resident.wait_for_message("识别到地点")
        await _place_then_card(resident)
        monkeypatch.setattr(Commands, "submit", slow_submit)
        await resident.press("✅ 提交")
        await asyncio.wait_for(entered.wait(), 5)
        stopping = asyncio.create_task(first.stop())
        await asyncio.sleep(0.3)
        assert not stopping.done()  # waiting for the handler
        release.set()
        await asyncio.wait_for(stopping, 20)
        # aiogram closes the storage when polling stops; it must wait for the handler
        assert closed_while_handling == [False], closed_while_handling
        r = aioredis.from_url(redis_url)
        try:
            assert [k async for k in r.scan_iter(f"{prefix}:*lock*")] == []
        finally:
            await r.aclose()
        monkeypatch.setattr(Commands, "submit", real_submit)
        second = runtime()
        await second.start(polling_timeout=1)
        try:
            await resident.send_text("/my")
            await resident.wait_for_message("您最近的上报", timeout=5)  # answered at once
        finally:
            await second.stop()
    finally:
        await client.close()
