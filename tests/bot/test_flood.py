"""One person flooding the chat: one notice, a bounded number of answers, everything kept in
the transcript once; other people are answered as usual. In process and in Redis."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

import texts
from bot.flood import FloodLimits, MemoryBuckets, RedisBuckets
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


@asynccontextmanager
async def _bot(app: Any, sandbox: Any, nlu: Any, **options: Any) -> AsyncIterator[Any]:
    from bot.runtime import build_runtime

    rt = build_runtime(app, nlu, token=sandbox.token, api_base=sandbox.url, channel="sandbox", **options)
    await rt.start(polling_timeout=1)
    try:
        yield rt
    finally:
        await rt.stop()


async def test_a_flood_gets_one_notice_and_others_are_unaffected(app, sandbox, nlu):
    async with _bot(app, sandbox, nlu) as rt:
        assert rt.dp["flood"].limits == FloodLimits(2.0, 30)  # the defaults
        await _flood(app, sandbox)


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


async def test_what_a_flood_sends_during_a_report_stays_with_the_case(app, sandbox, nlu):
    """Messages limited in the middle of a report are not lost: on submit they are linked to
    the case with the rest of the conversation."""
    async with _bot(app, sandbox, nlu, flood=FloodLimits(2.0, 3)):
        await _report_through_a_flood(app, sandbox)


async def _report_through_a_flood(app: Any, sandbox: Any) -> None:
    client = sandbox.client()
    try:
        resident = client.user(RESIDENT)
        await resident.send_text("人民广场垃圾没人收")
        await resident.wait_for_message("识别到地点")
        await asyncio.gather(*(resident.send_text(f"补充{i}：垃圾桶旁边还有建筑垃圾") for i in range(10)))
        await resident.wait_for_message(texts.FLOOD_NOTICE)
        await asyncio.sleep(2.5)  # slowed down: the bucket refills
        await resident.send_text("人民广场")  # (the answered ones were taken as addresses)
        await resident.wait_for_message("现场照片")
        await resident.press("跳过")
        await resident.wait_for_message("请核对")
        await resident.press("✅ 提交")
        await resident.wait_for_message("已受理")
        for _ in range(50):  # the conversation is linked to the case after the answer
            rows = [r for r in await transcript(app, RESIDENT) if r.direction == "in"]
            if all(r.case_id is not None for r in rows):
                break
            await asyncio.sleep(0.1)
        limited = [r for r in rows if r.payload.get("limited")]
        assert limited and all(r.case_id is not None for r in rows), [
            (r.id, r.kind, r.text[:12], r.case_id, r.payload) for r in rows
        ]
        assert len({r.case_id for r in rows}) == 1
    finally:
        await client.close()
