"""A patrol end to end through the real aiogram client and the sandbox Bot API: the grid
worker's menu button, a live location, its updates (edited_message), its stop; the summary
and 巡查无异常; a resident is told patrols are for grid workers.

The live location's updates go through the sandbox when it can share one (its client's
`start_live_location` / `move_live_location` / `stop_live_location`); a sandbox without live
locations gets the same updates fed to the bot's dispatcher (the replies still go through
the sandbox), so the test runs either way."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

from aiogram import types as t
from sqlalchemy import func, select

from dispatch.db.orm import MessageRow
from dispatch.db.patrol_tables import PatrolPointRow, PatrolRow
from tests.bot.conftest import RESIDENT, WORKER_WUFENG
from tests.bot.helpers import has_button, watching

_ids = itertools.count(880_001)


class LiveLocation:
    """One person's live location: through the sandbox if it has them, else fed to the bot."""

    def __init__(self, user: Any, runtime: Any) -> None:
        self.user, self.runtime = user, runtime
        self.native = hasattr(user, "start_live_location")
        self.message_id = next(_ids)

    def _update(self, lat: float, lon: float, live_period: int | None, edit: bool) -> t.Update:
        bot = self.runtime.bot
        message: dict[str, Any] = {
            "message_id": self.message_id, "date": int(time.time()),
            "chat": {"id": self.user.user_id, "type": "private", "first_name": "网格员"},
            "from": {"id": self.user.user_id, "is_bot": False, "first_name": "网格员"},
            "location": {"latitude": lat, "longitude": lon,
                         **({"live_period": live_period} if live_period else {})},
        }
        if edit:
            message["edit_date"] = int(time.time())
        key = "edited_message" if edit else "message"
        return t.Update.model_validate({"update_id": next(_ids), key: message}, context={"bot": bot})

    async def _feed(self, update: t.Update) -> None:
        await watching(self.user)  # what the bot answers comes after this point
        await self.runtime.dp.feed_update(self.runtime.bot, update)

    async def start(self, lat: float, lon: float, live_period: int = 3600) -> None:
        if self.native:
            m = await self.user.start_live_location(lat, lon, live_period=live_period)
            self.message_id = int(m["message_id"])
        else:
            await self._feed(self._update(lat, lon, live_period, edit=False))

    async def move(self, lat: float, lon: float) -> None:
        if self.native:
            await self.user.move_live_location(lat, lon)
        else:
            await self._feed(self._update(lat, lon, 3600, edit=True))

    async def stop(self, lat: float, lon: float) -> None:
        if self.native:
            await self.user.stop_live_location()
        else:
            await self._feed(self._update(lat, lon, None, edit=True))


async def _points(app: Any) -> int:
    async with app.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(PatrolPointRow)) or 0)


async def _until_points(app: Any, n: int) -> None:
    for _ in range(100):
        if await _points(app) >= n:
            return
        await asyncio.sleep(0.05)


async def test_a_patrol_in_chat(app, people, runtime):
    worker = people.user(WORKER_WUFENG)
    await worker.send_text("/start")
    await worker.wait_for_message("网格巡查")
    await worker.press("🚶 开始巡查")
    await worker.wait_for_message("共享实时位置")
    home = app.registry.tree.get("G-01-02-01-01").geometry.representative_point()
    live = LiveLocation(worker, runtime)
    await live.start(home.y, home.x)
    started = await worker.wait_for_message("巡查已开始")
    assert has_button(started, "⏹ 结束巡查")
    for i in range(1, 5):  # 55 m north every minute (the bot's clock: each update handled first)
        app.clock.advance(seconds=60)
        await live.move(home.y + 0.0005 * i, home.x)
        await _until_points(app, i + 1)
    app.clock.advance(seconds=60)
    assert await _points(app) == 5
    await live.stop(home.y + 0.002, home.x)
    summary = await worker.wait_for_message("巡查小结")
    assert "实时位置已停止共享" in summary["text"] and "里程 0.22 公里" in summary["text"]
    assert f"「{app.registry.tree.name('G-01-02-01-01')}」覆盖" in summary["text"]
    await worker.press("✅ 巡查无异常")
    await worker.wait_for_message("已记录：巡查无异常")
    async with app.uow() as uow:
        row = (await uow.session.scalars(select(PatrolRow))).one()
    assert (row.end_reason, row.ok, row.points) == ("stopped", True, 5)
    async with app.uow() as uow:  # the moving live location is not in the transcript
        edits = await uow.session.scalar(
            select(func.count()).select_from(MessageRow).where(MessageRow.kind == "edit"))
    assert edits == 0
    # after the stop nothing more is stored
    if not live.native:
        await live.move(home.y + 0.003, home.x)
        assert await _points(app) == 5


async def test_patrol_command_ends_and_residents_are_told(app, people, runtime):
    worker = people.user(WORKER_WUFENG)
    home = app.registry.tree.get("G-01-02-01-01").geometry.representative_point()
    live = LiveLocation(worker, runtime)
    await live.start(home.y, home.x)
    await worker.wait_for_message("巡查已开始")
    app.clock.advance(seconds=600)
    await worker.send_text("/patrol")
    summary = await worker.wait_for_message("巡查小结")
    assert summary["text"].startswith("巡查已结束")
    resident = people.user(RESIDENT)
    await resident.send_text("/patrol")
    await resident.wait_for_message("巡查功能供网格员使用")


LEADER = 500001


async def test_the_grid_leader_hears_of_a_silent_worker_and_gets_the_morning_message(app, people, runtime):
    from dispatch.service.imports import import_members
    from dispatch.service.scheduler import Scheduler

    await people.create_user(id=LEADER, first_name="陈网格长")
    await import_members(app.uow(), {"members": [
        {"tg_id": LEADER, "name": "陈网格长", "roles": ["grid_leader"], "grids": ["G-01-02-01"]}]},
        app.clock.now())
    leader = people.user(LEADER)
    await leader.send_text("/start")
    await leader.wait_for_message("网格")
    await watching(leader)
    worker = people.user(WORKER_WUFENG)
    home = app.registry.tree.get("G-01-02-01-01").geometry.representative_point()
    live = LiveLocation(worker, runtime)
    await live.start(home.y, home.x, live_period=8 * 3600)
    await worker.wait_for_message("巡查已开始")
    scheduler = Scheduler(app.sessions, lambda: app.registry, app.clock)
    app.clock.advance(minutes=11)
    await scheduler.tick()
    runtime.relay.kick()
    alert = await leader.wait_for_message("位置已 10 分钟未更新", timeout=10)
    assert "邱春梅" in alert["text"]
    await live.move(home.y + 0.0005, home.x)
    back = await leader.wait_for_message("位置已恢复更新", timeout=10)
    assert "邱春梅" in back["text"]
    await worker.send_text("/patrol")
    await worker.wait_for_message("巡查小结")
    app.clock.advance(days=1)  # the next morning
    await scheduler.tick()
    runtime.relay.kick()
    # the first tick (09:11) sent the morning message of the 22nd: nobody patrolled
    first = await leader.wait_for_message("11月22日 巡查情况", timeout=10)
    assert "未巡查：邱春梅" in first["text"]
    digest = await leader.wait_for_message("11月23日 巡查情况", timeout=10)
    assert "邱春梅：" in digest["text"] and "未巡查" not in digest["text"]
