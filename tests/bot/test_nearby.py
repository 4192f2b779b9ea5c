"""Before submitting, open cases of the same kind nearby are shown ("附近已有人反映…"); the
person may follow one instead of creating a new case, and hears of its progress."""

from __future__ import annotations

from sqlalchemy import func, select

from dispatch.db.orm import CaseRow
from tests.bot.conftest import CHENGXI_GROUP, RESIDENT, RESIDENT2, UNIT_CHENGXI
from tests.bot.helpers import has_button, report, seen_or_wait, watching
from tgsandbox.client import buttons_of


async def _cases(app) -> int:
    async with app.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(CaseRow)))


async def test_a_nearby_open_case_can_be_followed_instead(app, people, runtime):
    number = await report(people.user(RESIDENT), "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    before = await _cases(app)
    other = people.user(RESIDENT2)
    await other.send_text("五丰菜市场门口又有人摆摊卖菜")
    await other.wait_for_message("识别到地点")
    await other.press("就在五丰菜市场")
    await other.wait_for_message("现场照片")
    await other.press("跳过")
    nearby = await other.wait_for_message("附近已有人反映")
    assert number in nearby["text"]
    await other.wait_for_message("请核对")
    short = number[-4:]
    assert [b["text"] for b in buttons_of(nearby)] == [f"👀 关注 {short}"]
    await other.press(f"👀 关注 {short}", message_id=nearby["message_id"], wait_answer=True)
    await other.wait_for_message("已关注案件")
    assert await _cases(app) == before  # no new case
    # the follower hears of the case's progress
    watcher = await watching(other)
    member = await watching(people.user(UNIT_CHENGXI, chat_id=CHENGXI_GROUP))
    card = await seen_or_wait(member, lambda m: number in m.get("text", "") and has_button(m, "📥 接单"))
    await member.press("📥 接单", message_id=card["message_id"], wait_answer=True)
    heard = await watcher.wait_for_message(lambda m: number in m.get("text", "") and "接单" in m["text"], timeout=10)
    assert "一并告知" in heard["text"]


async def test_nothing_nearby_nothing_shown(app, people, runtime):
    resident = people.user(RESIDENT)
    await report(resident, "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    assert not [m for m in await resident.messages() if "附近已有人反映" in (m.get("text") or "")]
