"""Several bot workers (gridbot/processes/shards.py): a parent polls the sandbox and hands each update to
the worker of its sender; the workers are real child processes running the real bot.

The closed loop crosses workers on purpose: the resident (100001) is on worker 1, the unit
member (300002) and the grid worker (200006) on worker 0 — the member presses [办结] in the
group and sends the result photo in a private chat, both on worker 0, whose in-memory FSM
holds that step."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gridbot.processes.shards import ShardError, ShardPool, check_workers, sender_of, shard_of
from tests.bot.conftest import CHENGXI_GROUP, RESIDENT, RESIDENT2, UNIT_CHENGXI_2, WORKER_WUFENG
from tests.bot.fakes import png
from tests.bot.helpers import case_row, report, watching, webhook_set, webhook_shards

SCRIPTED = "tests.bot.fakes:ScriptedNlu"


# -- routing ------------------------------------------------------------------------------------------
def test_the_sender_decides_the_worker() -> None:
    private = {"update_id": 1, "message": {"from": {"id": 100001}, "chat": {"id": 100001, "type": "private"}}}
    in_group = {"update_id": 2, "message": {"from": {"id": 300002}, "chat": {"id": -100100, "type": "group"}}}
    press = {
        "update_id": 3,
        "callback_query": {"id": "q", "from": {"id": 300002}, "message": {"chat": {"id": -100100}}},
    }
    joined = {"update_id": 4, "my_chat_member": {"from": {"id": 42}, "chat": {"id": -100100}}}
    post = {"update_id": 5, "channel_post": {"chat": {"id": -100777, "type": "channel"}}}
    assert [sender_of(u) for u in (private, in_group, press, joined, post)] == [100001, 300002, 300002, 42, -100777]
    assert sender_of({"update_id": 6}) == 0 and sender_of({"update_id": 7, "poll": {"id": "p"}}) == 0
    # a member's group button and their private chat land on the same worker
    assert shard_of(in_group, 3) == shard_of(press, 3) == shard_of({"message": {"from": {"id": 300002}}}, 3)
    assert {shard_of({"message": {"from": {"id": i}}}, 4) for i in range(100, 140)} == {0, 1, 2, 3}


def test_workers_are_refused_where_they_cannot_work() -> None:
    check_workers(1, "sqlite+aiosqlite://")  # one process: anything goes
    check_workers(4, "sqlite+aiosqlite:////tmp/x.sqlite3")
    with pytest.raises(ShardError, match="in-memory"):
        check_workers(2, "sqlite+aiosqlite://")
    with pytest.raises(ShardError, match="in-memory"):
        check_workers(2, "sqlite+aiosqlite:///:memory:")
    with pytest.raises(ShardError, match="between 1 and"):
        check_workers(0, "postgresql+asyncpg://x/y")


# -- the real thing -----------------------------------------------------------------------------------
@pytest.fixture
def clock() -> Any:
    """The workers are other processes on the system clock: so is the parent's relay here."""
    from dispatch.service.ports import SystemClock

    return SystemClock()


class Sharded:
    def __init__(self, runtime: Any, pool: ShardPool, poller: asyncio.Task[None], stop: asyncio.Event) -> None:
        self.runtime, self.pool, self.poller, self.stop_event = runtime, pool, poller, stop

    async def close(self) -> None:
        if self.stop_event.is_set():
            return
        self.stop_event.set()
        await self.poller
        await self.pool.stop()


@pytest.fixture
async def sharded(app: Any, sandbox: Any, nlu: Any) -> AsyncIterator[Sharded]:
    from bot.runtime import build_runtime
    from gridbot.processes.shard_intake import poll_into

    parent = build_runtime(app, nlu, token=sandbox.token, api_base=sandbox.url)
    await parent.start(polling=False)  # relay + transcript here; updates go to the workers
    pool = ShardPool(
        2, settings=app.settings, token=sandbox.token, api_base=sandbox.url, channel="sandbox",
        on_kick=parent.relay.kick, nlu=SCRIPTED,
    )
    await pool.start()
    stop = asyncio.Event()
    poller = asyncio.create_task(
        poll_into(parent.bot, pool, stop, polling_timeout=1, allowed_updates=parent.dp.resolve_used_update_types())
    )
    s = Sharded(parent, pool, poller, stop)
    try:
        yield s
    finally:
        await s.close()
        await parent.stop()


@pytest.fixture
async def people2(sandbox: Any, sharded: Sharded) -> AsyncIterator[Any]:
    client = sandbox.client()
    try:
        yield client
    finally:
        await client.close()


async def test_the_closed_loop_across_two_workers(app, sandbox, sharded, people2):
    assert shard_of({"message": {"from": {"id": RESIDENT}}}, 2) != shard_of({"message": {"from": {"id": UNIT_CHENGXI_2}}}, 2)
    resident = people2.user(RESIDENT)
    number = await report(resident, "五丰菜市场门口有人占道摆摊", place_button="就在五丰菜市场")
    await resident.wait_for_message("已受理")

    member = people2.user(UNIT_CHENGXI_2, chat_id=CHENGXI_GROUP)
    card = await member.wait_for_message(lambda m: number in m.get("text", ""), timeout=15)
    await member.press("📥 接单", message_id=card["message_id"], wait_answer=True)
    await resident.wait_for_message("已由「城西执法中队」接单", timeout=15)

    private = await watching(people2.user(UNIT_CHENGXI_2))
    await member.press("✅ 办结", message_id=card["message_id"], wait_answer=True)
    await private.wait_for_message("处置后的现场照片")
    await private.send_photo(png(rgb=(20, 160, 60)))
    await private.wait_for_message("说明处置情况")
    await private.send_text("摊贩已劝离")
    await private.wait_for_message("已办结")

    worker = await watching(people2.user(WORKER_WUFENG))
    await resident.wait_for_message("进行评价", timeout=15)
    await resident.press("✅ 解决了", wait_answer=True)
    await resident.press("😊 满意", wait_answer=True)
    task = await worker.wait_for_message("核查任务", timeout=15)
    await worker.press("✅ 核查通过", message_id=task["message_id"], wait_answer=True)
    await resident.wait_for_message("已结案", timeout=15)

    row = await case_row(app, number)
    assert row.status == "closed" and row.rating == "satisfied"
    routed = sharded.pool.stats()["routed"]
    assert routed[0] > 0 and routed[1] > 0, routed


async def test_a_worker_that_dies_is_restarted_and_its_people_are_answered(sandbox, sharded, people2):
    shard = shard_of({"message": {"from": {"id": RESIDENT2}}}, 2)
    victim = sharded.pool.workers[shard]
    assert victim.proc is not None
    os.kill(victim.proc.pid, signal.SIGKILL)
    resident = people2.user(RESIDENT2)
    await resident.send_text("你好")  # queued while the worker restarts
    await resident.wait_for_message("您好", timeout=60)
    assert victim.restarts == 1
    other = sharded.pool.workers[1 - shard]
    assert other.restarts == 0


async def test_stopping_confirms_what_was_handed_over(sandbox, sharded, people2):
    resident = people2.user(RESIDENT)
    await resident.send_text("你好")
    await resident.wait_for_message("您好")
    await sharded.close()
    updates = await sharded.runtime.bot.get_updates(timeout=0)
    assert updates == []  # nothing comes back a second time after a restart


# -- the parent's bookkeeping, with a stand-in worker ----------------------------------------------------
STAND_IN = """
import os, sys
log, deadly = sys.argv[1], int(sys.argv[2])
print("READY 0", flush=True)
for line in sys.stdin:
    uid = int(line.split('"update_id":')[1].split(",")[0].split("}")[0])
    with open(log, "a") as f:
        f.write(f"{os.getpid()} {uid}\\n")
    if uid == deadly or (uid == 2 and not os.path.exists(log + ".once")):
        open(log + ".once", "w").close()
        os._exit(1)  # dies while handling: no DONE
    print(f"DONE {uid}", flush=True)
print("CPU 0", flush=True)
"""


async def _stand_in_worker(tmp_path: Any, deadly: int = -1) -> tuple[Any, Any]:
    import sys

    from gridbot.processes.shards import Worker

    script = tmp_path / "stand_in.py"
    script.write_text(STAND_IN)
    log = tmp_path / "seen.log"
    worker = Worker(0, [sys.executable, str(script), str(log), str(deadly)], dict(os.environ), lambda: None)
    worker.start()
    await asyncio.wait_for(worker.first_ready.wait(), 30)
    return worker, log


def _seen(log: Any) -> list[tuple[int, int]]:
    if not log.exists():
        return []
    return [tuple(map(int, line.split())) for line in log.read_text().splitlines()]  # type: ignore[misc]


async def test_an_update_whose_worker_died_goes_to_the_next_one_first(tmp_path, monkeypatch):
    monkeypatch.setattr("gridbot.processes.shards.RESTART_DELAYS_S", (0.05,))
    worker, log = await _stand_in_worker(tmp_path)
    for uid in (1, 2, 3, 4):
        worker.send({"update_id": uid, "message": {"text": "x"}})
    for _ in range(200):
        if [u for _, u in _seen(log)][-3:] == [2, 3, 4] and not worker.unacked and not worker.pending:
            break
        await asyncio.sleep(0.05)
    await worker.stop()
    seen = _seen(log)
    first, second = seen[0][0], seen[-1][0]
    assert first != second and worker.restarts == 1
    # update 2 was being handled when the worker died: the next worker gets it, before 3 and 4
    assert [u for pid, u in seen if pid == second] == [2, 3, 4]
    assert worker.dropped == 0 and not worker.unacked


async def test_an_update_that_keeps_killing_its_worker_is_dropped(tmp_path, monkeypatch):
    monkeypatch.setattr("gridbot.processes.shards.RESTART_DELAYS_S", (0.05,))
    worker, log = await _stand_in_worker(tmp_path, deadly=7)
    worker.send({"update_id": 7, "message": {"text": "poison"}})
    worker.send({"update_id": 8, "message": {"text": "fine"}})
    for _ in range(400):
        if 8 in [u for _, u in _seen(log)] and not worker.unacked:
            break
        await asyncio.sleep(0.05)
    await worker.stop()
    assert [u for _, u in _seen(log)].count(7) == worker.MAX_ATTEMPTS
    assert worker.dropped == 1 and [u for _, u in _seen(log)][-1] == 8


async def test_webhook_mode_with_two_workers(app, sandbox, nlu):
    """`gridbot run --webhook URL --workers 2`: the parent answers the sandbox's POSTs (a wrong
    secret is refused) and the workers answer the people."""
    import aiohttp

    sharded, runtime, url = await webhook_shards(app, sandbox, nlu, SCRIPTED, "s3cret")
    client = sandbox.client()
    try:
        assert (await webhook_set(sandbox)).secret_token == "s3cret"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json={"update_id": 1}, headers={"X-Telegram-Bot-Api-Secret-Token": "no"}) as r:
                assert r.status == 401
            async with http.post(url, data=b"{", headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}) as r:
                assert r.status == 400
        for person in (RESIDENT, RESIDENT2):
            user = client.user(person)
            await user.send_text("你好")
            await user.wait_for_message("您好", timeout=20)
        assert all(n > 0 for n in sharded.pool.stats()["routed"])
    finally:
        await sharded.stop()
        await runtime.stop()
        await client.close()


async def test_a_malformed_update_is_skipped_and_the_worker_carries_on(sandbox, sharded, people2):
    bogus = {"update_id": 10**9, "message": {"from": {"id": RESIDENT}, "no": "chat, no date"}}
    sharded.pool.route(bogus)
    worker = sharded.pool.workers[shard_of(bogus, 2)]
    for _ in range(100):
        if 10**9 not in worker.unacked and not worker.pending:
            break
        await asyncio.sleep(0.05)
    assert 10**9 not in worker.unacked  # acknowledged: not sent again after a restart
    resident = people2.user(RESIDENT)
    await resident.send_text("你好")
    await resident.wait_for_message("您好")
    assert worker.restarts == 0
