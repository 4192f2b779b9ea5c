"""`gridbot run --webhook URL --workers N`: Telegram's POST is answered when the worker has
finished the update (gridbot/processes/shard_intake.py), never merely on queueing — a parent
or worker that dies before that leaves the POST unanswered, and Telegram posts it again.

A slowed handler (tests.bot.fakes.SlowNlu: a message with 慢 takes two seconds) makes the
order visible."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from gridbot.processes.shards import DONE, DROPPED, UNFINISHED
from tests.bot.conftest import RESIDENT
from tests.bot.fakes import SLOW_S
from tests.bot.helpers import webhook_set, webhook_shards
from tests.bot.test_shards import _seen, _stand_in_worker

SLOW = "tests.bot.fakes:SlowNlu"
SECRET = "s3cret"


@pytest.fixture
def clock() -> Any:
    """The workers are other processes on the system clock: so is the parent's relay here."""
    from dispatch.service.ports import SystemClock

    return SystemClock()


@dataclass
class Hooked:
    sharded: Any
    url: str


@pytest.fixture
async def hooked(app: Any, sandbox: Any, nlu: Any) -> AsyncIterator[Hooked]:
    sharded, runtime, url = await webhook_shards(app, sandbox, nlu, SLOW, SECRET)
    try:
        await webhook_set(sandbox)
        yield Hooked(sharded, url)
    finally:
        await sharded.stop()
        await runtime.stop()


async def started(sandbox: Any, person: int) -> Any:
    """The person has pressed /start (the sandbox lets the bot write to them only then)."""
    client = sandbox.client()
    user = client.user(person)
    await user.send_text("/start")
    await user.wait_for_message("随手拍", timeout=30)
    return client


def forged(update_id: int, text: str) -> dict[str, Any]:
    """An update as Telegram would post it, sent by the test itself."""
    return {"update_id": update_id, "message": {
        "message_id": update_id % 100000, "date": int(time.time()),
        "chat": {"id": RESIDENT, "type": "private"},
        "from": {"id": RESIDENT, "is_bot": False, "first_name": "张桂兰"}, "text": text}}


async def post(url: str, update: dict[str, Any], chat: Any) -> tuple[int, int]:
    """(status, the bot's messages in the chat when the answer came)."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=240)) as http:
        async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
            await r.read()
            return r.status, chat.bot_sent


async def until_written(worker: Any, update_id: int) -> None:
    for _ in range(400):
        if update_id in worker.unacked:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"update {update_id} never reached its worker")


async def test_the_post_is_answered_after_the_handler_finished(sandbox, hooked):
    client = await started(sandbox, RESIDENT)
    world = sandbox.world
    chat = world.chat(RESIDENT)
    answered_at: dict[int, tuple[float, int]] = {}  # update id → (when, the bot's messages) at its 200
    remove = world.updates.remove

    def answered(update_id: int) -> None:
        answered_at[update_id] = (time.monotonic(), chat.bot_sent)
        remove(update_id)

    world.updates.remove = answered
    try:
        sent = chat.bot_sent
        start = time.monotonic()
        await client.user(RESIDENT).send_text("你好，我说得慢")
        update_id = world.updates.next_id - 1
        for _ in range(300):
            if update_id in answered_at:
                break
            await asyncio.sleep(0.05)
        when, bot_sent = answered_at[update_id]
        assert bot_sent > sent, "the post was answered before the update was handled"
        assert when - start >= SLOW_S
    finally:
        world.updates.remove = remove
        await client.close()


async def test_a_worker_killed_mid_update_its_restart_handles_it_then_the_post_is_answered(sandbox, hooked):
    client = await started(sandbox, RESIDENT)
    chat = sandbox.world.chat(RESIDENT)
    try:
        update = forged(10**6, "你好，慢慢来")
        worker = hooked.sharded.pool.worker_of(update)
        before = chat.bot_sent
        posting = asyncio.create_task(post(hooked.url, update, chat))
        await until_written(worker, 10**6)
        await asyncio.sleep(SLOW_S / 4)  # inside the slow handler
        assert worker.proc is not None
        os.kill(worker.proc.pid, signal.SIGKILL)
        await asyncio.sleep(0.5)
        assert not posting.done() and chat.bot_sent == before  # killed: not answered, nothing said
        status, bot_sent = await asyncio.wait_for(posting, 200)
        assert status == 200 and worker.restarts == 1
        assert bot_sent == before + 1  # the restart's answer to the person came before the 200
        assert "您好" in (await client.user(RESIDENT).messages())[-1]["text"]
    finally:
        await client.close()


async def test_stopping_while_a_post_is_open_does_not_answer_200_for_an_unfinished_update(
    sandbox, hooked, monkeypatch
):
    monkeypatch.setattr("gridbot.processes.shards.STOP_TIMEOUT_S", 0.5)  # shorter than the handler
    client = await started(sandbox, RESIDENT)
    chat = sandbox.world.chat(RESIDENT)
    try:
        update = forged(10**6 + 1, "你好，慢慢来")
        worker = hooked.sharded.pool.worker_of(update)
        posting = asyncio.create_task(post(hooked.url, update, chat))
        await until_written(worker, 10**6 + 1)
        await asyncio.sleep(0.2)
        await hooked.sharded.stop()  # the worker cannot finish in time: killed
        status, _ = await asyncio.wait_for(posting, 30)
        assert status == 503  # Telegram posts it again after the restart
    finally:
        await client.close()


async def test_a_handler_cancelled_at_stop_does_not_count_as_finished(sandbox, hooked):
    """The worker finishes its handlers for up to 15 s at stop, then cancels the rest: a
    cancelled handler never says DONE, so its POST is not answered 200."""
    client = await started(sandbox, RESIDENT)
    chat = sandbox.world.chat(RESIDENT)
    try:
        sandbox.set_faults(rate_delay=1.0, delay_ms=20_000, methods=frozenset({"sendMessage"}))
        update = forged(10**6 + 2, "你好")  # its reply hangs for 20 s
        worker = hooked.sharded.pool.worker_of(update)
        posting = asyncio.create_task(post(hooked.url, update, chat))
        await until_written(worker, 10**6 + 2)
        await asyncio.sleep(1.0)
        await hooked.sharded.stop()
        status, _ = await asyncio.wait_for(posting, 60)
        assert status == 503
    finally:
        sandbox.set_faults(rate_delay=0.0, delay_ms=0)
        await client.close()


# -- the futures, with a stand-in worker (tests/bot/test_shards.py) -------------------------------------
async def test_each_update_tells_how_it_ended(tmp_path, monkeypatch):
    monkeypatch.setattr("gridbot.processes.shards.RESTART_DELAYS_S", (0.05,))
    worker, log = await _stand_in_worker(tmp_path, deadly=7)
    # 2 kills the worker once (its restart finishes it), 7 every time (dropped)
    outcomes = {uid: worker.send({"update_id": uid, "message": {"text": "x"}}) for uid in (1, 2, 7, 8)}
    assert worker.send({"update_id": 8, "message": {"text": "x"}}) is outcomes[8]  # posted again: once
    results = await asyncio.wait_for(asyncio.gather(*outcomes.values()), 60)
    assert dict(zip(outcomes, results, strict=True)) == {1: DONE, 2: DONE, 7: DROPPED, 8: DONE}
    assert [u for _, u in _seen(log)].count(8) == 1
    await worker.stop()
    late = worker.send({"update_id": 9, "message": {"text": "x"}})
    assert late.done() and late.result() == UNFINISHED and not worker.outcomes
