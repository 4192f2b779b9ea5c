"""One person flooding the chat: one notice, a bounded number of answers, everything kept in
the transcript once; other people are answered as usual. In process and in Redis."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import Counter
from typing import Any

import pytest

from bot.flood import FloodLimits, MemoryBuckets, RedisBuckets
from gridbot import texts
from tests.bot.conftest import RESIDENT, RESIDENT2
from tests.bot.helpers import transcript

FLOOD = 300


async def _flood(app: Any, sandbox: Any) -> None:
    client = sandbox.client()
    try:
        flooder, other = client.user(RESIDENT), client.user(RESIDENT2)

        async def calm() -> None:  # someone else, meanwhile
            for _ in range(3):
                await other.send_text("你好")
                await other.wait_for_message(texts.GREET_REPLY, timeout=20)

        await asyncio.gather(calm(), *(flooder.send_text(f"在吗 {i}") for i in range(FLOOD)))
        for _ in range(200):  # every message stored
            inbound = [r for r in await transcript(app, RESIDENT) if r.direction == "in"]
            if len(inbound) >= FLOOD:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # answers still on their way
        rows = await transcript(app, RESIDENT)
        inbound = [r for r in rows if r.direction == "in"]
        assert len(inbound) == FLOOD
        assert sorted(r.text for r in inbound) == sorted(f"在吗 {i}" for i in range(FLOOD))
        counts = Counter(r.tg_message_id for r in rows)  # in and out: no message stored twice
        assert max(counts.values()) == 1
        limited = [r for r in inbound if r.payload.get("limited")]
        answers = [m for m in await flooder.messages() if m.get("from", {}).get("is_bot")]
        notices = [m for m in answers if m.get("text") == texts.FLOOD_NOTICE]
        assert len(notices) == 1
        # Answered: the burst, plus what refilled while the flood lasted (a few seconds).
        handled = FLOOD - len(limited)
        assert 30 <= handled <= 60, handled
        assert len(answers) == handled + 1
        out = [r for r in rows if r.direction == "out"]
        assert len(out) == len(answers)  # the transcript: 300 in, the answers out
    finally:
        await client.close()


async def test_a_flood_gets_one_notice_and_others_are_unaffected(app, sandbox, nlu):
    from bot.runtime import build_runtime

    rt = build_runtime(app, nlu, token=sandbox.token, api_base=sandbox.url, channel="sandbox")
    assert rt.dp["flood"].limits == FloodLimits(2.0, 30)  # the defaults
    await rt.start(polling_timeout=1)
    try:
        await _flood(app, sandbox)
    finally:
        await rt.stop()


@pytest.mark.redis
async def test_a_flood_with_redis_is_limited_across_workers(app, sandbox, nlu):
    """The bucket in Redis: the same flood, and a second bot worker on the same Redis sees
    the flooder as limited (already noticed) while someone else is not."""
    url = os.environ.get("GRIDBOT_TEST_REDIS_URL")
    if not url:
        pytest.skip("GRIDBOT_TEST_REDIS_URL not set")
    from bot.runtime import build_runtime

    prefix = f"gridbot-test-{uuid.uuid4().hex[:8]}"
    first, second = (
        build_runtime(
            app, nlu, token=sandbox.token, api_base=sandbox.url, channel="sandbox", redis_url=url,
            fsm_prefix=prefix,
        )
        for _ in range(2)
    )
    assert isinstance(first.dp["flood"].buckets, RedisBuckets)
    await first.start(polling_timeout=1)
    try:
        await _flood(app, sandbox)
        other_worker = second.dp["flood"]
        # the flooder's bucket is nearly empty there too (a second or two refilled since), and
        # the flood already noticed: no second notice from the other worker
        for _ in range(10):
            verdict = await other_worker.buckets.take(f"{RESIDENT}:{RESIDENT}", other_worker.limits, time.time())
            if not verdict.allowed:
                break
        assert not verdict.allowed and not verdict.notify
        calm = await other_worker.buckets.take(f"{RESIDENT2}:{RESIDENT2}", other_worker.limits, time.time())
        assert calm.allowed
    finally:
        await first.stop()
        await second.dp.fsm.close()
        await second.bot.session.close()


async def test_the_bucket_refills_and_a_new_flood_gets_a_new_notice():
    buckets, limits = MemoryBuckets(), FloodLimits(per_second=1.0, burst=3)
    verdicts = [await buckets.take("k", limits, 0.0) for _ in range(5)]
    assert [v.allowed for v in verdicts] == [True, True, True, False, False]
    assert [v.notify for v in verdicts] == [False, False, False, True, False]
    assert (await buckets.take("k", limits, 1.0)).allowed  # one token back
    assert not (await buckets.take("k", limits, 1.0)).notify  # same flood: no second notice
    assert (await buckets.take("k", limits, 10.0)).allowed  # calm again
    for _ in range(2):
        await buckets.take("k", limits, 10.0)
    assert (await buckets.take("k", limits, 10.0)).notify  # a new flood
    assert (await buckets.take("other", limits, 10.0)).allowed  # someone else
