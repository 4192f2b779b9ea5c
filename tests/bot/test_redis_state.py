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
            await resident.press("就在人民广场")
            await resident.wait_for_message("现场照片")
            await resident.press("跳过")
            await resident.wait_for_message("请核对")
            await resident.press("✅ 提交")
            done = await resident.wait_for_message("已受理")
        finally:
            await second.stop()
    finally:
        await client.close()
    assert (await case_row(app, number_in(done["text"]))).category == "garbage"
