"""Unit groups and the resident: 退回 → triage, 不满意 → 返工, and presses the server refuses."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from dispatch.db.orm import CaseEventRow
from tests.bot.conftest import (
    CHENGXI_GROUP,
    DISPATCHER,
    RESIDENT,
    RESIDENT2,
    UNIT_CHENGXI,
    UNIT_CHENGXI_2,
    UNIT_OTHER,
    WORKER_WUFENG,
)
from tests.bot.fakes import png
from tests.bot.helpers import case_row, has_button, outbox, report, seen_or_wait, watching
from tgsandbox.client import buttons_of


async def _card(people, number):
    member = await watching(people.user(UNIT_CHENGXI, chat_id=CHENGXI_GROUP))
    card = await seen_or_wait(member, lambda m: number in m.get("text", "") and has_button(m, "📥 接单"))
    return member, card


async def _events(app, case_id) -> int:
    async with app.uow() as uow:
        return int(
            await uow.session.scalar(
                select(func.count()).select_from(CaseEventRow).where(CaseEventRow.case_id == case_id)
            )
        )


async def _accept_and_resolve(people, member, card, note="已处理"):
    await member.press("📥 接单", message_id=card["message_id"], wait_answer=True)
    await member.wait_for_message(
        lambda m: m["message_id"] == card["message_id"] and "处置中" in m.get("text", "")
    )
    private = await watching(people.user(member.user_id))
    await member.press("✅ 办结", message_id=card["message_id"], wait_answer=True)
    await private.wait_for_message("处置后的现场照片")
    await private.send_photo(png(rgb=(0, 200, 0)), caption=note)  # the caption is the note
    await private.wait_for_message("已办结")


async def test_the_result_photo_caption_is_the_note(app, people, runtime):
    """A result photo with the note as its caption resolves the case (no second question);
    an album's captions are kept together."""
    resident = people.user(RESIDENT)
    number = await report(resident, "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    member, card = await _card(people, number)
    await _accept_and_resolve(people, member, card, note="摊贩已劝离，现场已清理")
    private = people.user(UNIT_CHENGXI)
    asked = [m for m in await private.messages() if "说明处置情况" in (m.get("text") or "")]
    assert asked == []
    result = await resident.wait_for_message(lambda m: "已处置完毕" in (m.get("caption") or ""))
    assert "摊贩已劝离，现场已清理" in result["caption"]
    assert (await case_row(app, number)).status == "resolved"


async def test_return_with_a_reason_goes_to_triage(app, people, runtime):
    resident = people.user(RESIDENT)
    dispatcher = await watching(people.user(DISPATCHER))
    number = await report(resident, "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    member, card = await _card(people, number)
    await member.press("↩️ 退回", message_id=card["message_id"], wait_answer=True)
    ask = await member.wait_for_message("退回案件")
    assert [b["text"] for b in buttons_of(ask)][:2] == ["非本单位职责", "不在本单位辖区"]
    await member.press("不在本单位辖区", message_id=ask["message_id"], wait_answer=True)
    await member.wait_for_message(lambda m: m["message_id"] == ask["message_id"] and "已退回" in m["text"])
    edited = await member.wait_for_message(
        lambda m: m["message_id"] == card["message_id"] and "待分拨" in m.get("text", "")
    )
    assert "不在本单位辖区" in edited["text"] and not buttons_of(edited)
    triage = await dispatcher.wait_for_message(number)
    assert "待分拨" in triage["text"] and "不在本单位辖区" in triage["text"]
    row = await case_row(app, number)
    assert (row.status, row.unit_id, row.return_count) == ("triage", None, 1)
    # One notice per return (the return and the case entering triage are two events).
    notices = [r.chat_id for r in await outbox(app) if r.kind == "triage_notice" and r.case_id == row.id]
    assert DISPATCHER in notices and len(notices) == len(set(notices)), notices
    await asyncio.sleep(0.5)  # (nothing more on its way)
    assert [m for m in await dispatcher.messages() if number in (m.get("text") or "")] == [triage]


async def test_return_with_a_typed_reason(app, people, runtime):
    number = await report(people.user(RESIDENT), "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    member, card = await _card(people, number)
    await member.press("↩️ 退回", message_id=card["message_id"], wait_answer=True)
    ask = await member.wait_for_message("退回案件")
    await member.send_text("这是交警的事，违停不归我们管", reply_to=ask["message_id"])
    await member.wait_for_message("已退回网格中心")
    row = await case_row(app, number)
    assert row.status == "triage"


async def test_unsatisfied_resident_reopens_the_case(app, people, runtime):
    resident = people.user(RESIDENT)
    number = await report(resident, "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    member, card = await _card(people, number)
    await _accept_and_resolve(people, member, card)
    await resident.wait_for_message("进行评价")
    await resident.press("✅ 解决了", wait_answer=True)
    await resident.press("😞 不满意", wait_answer=True)
    await resident.wait_for_message("说明原因")
    await resident.press("跳过")
    await resident.wait_for_message("返工")
    # The unit gets a fresh card flagged 返工; the old one points at it.
    fresh = await member.wait_for_message(
        lambda m: (
            number in m.get("text", "")
            and "返工" in m.get("text", "")
            and m["message_id"] != card["message_id"]
        )
    )
    assert has_button(fresh, "📥 接单")
    old = await member.wait_for_message(
        lambda m: m["message_id"] == card["message_id"] and "重新派发" in m.get("text", "")
    )
    assert not buttons_of(old)
    await resident.wait_for_message("重新处理")
    row = await case_row(app, number)
    assert (row.status, row.rework_count, row.unit_id) == ("dispatched", 1, "zf-chengxi")


async def test_verification_failure_reopens(app, people, runtime):
    resident = people.user(RESIDENT)
    number = await report(resident, "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    member, card = await _card(people, number)
    worker = await watching(people.user(WORKER_WUFENG))
    await _accept_and_resolve(people, member, card)
    task = await worker.wait_for_message("核查任务")
    await worker.press("❌ 未解决", message_id=task["message_id"], wait_answer=True)
    await worker.wait_for_message("未解决的情况")
    await worker.send_text("摊贩还在")
    await worker.wait_for_message("返工：摊贩还在")
    closed_task = await worker.wait_for_message(
        lambda m: m["message_id"] == task["message_id"] and "返工" in m["text"]
    )
    assert not buttons_of(closed_task)
    row = await case_row(app, number)
    assert (row.status, row.rework_count) == ("dispatched", 1)
    # The grid worker's words reach the unit's new card.
    fresh = await member.wait_for_message(
        lambda m: number in m.get("text", "") and has_button(m, "📥 接单") and m["message_id"] != card["message_id"],
        timeout=15,
    )
    assert "返工原因：摊贩还在" in fresh["text"]


async def test_rating_buttons_belong_to_one_round(app, people, runtime):
    """After a 返工 the first rating request loses its buttons; a press on it (kept by an old
    client) is answered as outdated and rates nothing; the new round's rating works."""
    resident = people.user(RESIDENT)
    number = await report(resident, "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    member, card = await _card(people, number)
    worker = await watching(people.user(WORKER_WUFENG))
    await _accept_and_resolve(people, member, card)
    first = await seen_or_wait(resident, lambda m: "进行评价" in m.get("text", "") and buttons_of(m))
    old_data = buttons_of(first)[0]["callback_data"]  # 满意, round 0
    task = await worker.wait_for_message("核查任务")
    await worker.press("❌ 未解决", message_id=task["message_id"], wait_answer=True)
    await worker.wait_for_message("未解决的情况")
    await worker.send_text("摊贩还在")
    edited = await resident.wait_for_message(
        lambda m: m["message_id"] == first["message_id"] and "本轮评价已结束" in m.get("text", "")
    )
    assert not buttons_of(edited)
    answer = await resident.press(old_data, message_id=first["message_id"], force=True, wait_answer=True)
    assert answer["text"] == "这条评价请求已过期（案件已重新处理），请在最新的评价消息中评价。"

    # The second round: resolved again, a new request; the old one still refused.
    fresh = await seen_or_wait(
        member,
        lambda m: number in m.get("text", "") and has_button(m, "📥 接单") and m["message_id"] != card["message_id"],
        timeout=15,
    )
    await _accept_and_resolve(people, member, fresh, note="摊贩已再次劝离")
    second = await resident.wait_for_message(
        lambda m: "进行评价" in m.get("text", "") and buttons_of(m) and m["message_id"] != first["message_id"],
        timeout=15,
    )
    answer = await resident.press(old_data, message_id=first["message_id"], force=True, wait_answer=True)
    assert "已过期" in answer["text"]
    assert (await case_row(app, number)).rating is None
    await resident.press("✅ 解决了", message_id=second["message_id"], wait_answer=True)
    answer = await resident.press("😊 满意", message_id=second["message_id"], wait_answer=True)
    assert "满意" in answer["text"]
    row = await case_row(app, number)
    assert (row.rating, row.rework_count) == ("satisfied", 1)


async def test_forged_stale_and_foreign_presses_change_nothing(app, people, runtime):
    resident = people.user(RESIDENT)
    number = await report(resident, "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    row = await case_row(app, number)
    member, card = await _card(people, number)
    before = await _events(app, row.id)
    mine = (await resident.messages())[-1]["message_id"]

    # A resident forges a unit button in their own chat.
    answer = await resident.press(f"u:acc:{row.id}", message_id=mine, force=True, wait_answer=True)
    assert answer == {**answer, "text": "无权操作", "show_alert": True}
    # A member of another unit.
    other = people.user(UNIT_OTHER)
    await other.send_text("/start")
    last = await other.wait_for_message("随手拍")
    answer = await other.press(f"u:acc:{row.id}", message_id=last["message_id"], force=True, wait_answer=True)
    assert answer["text"] == "无权操作"
    # Someone else rates the case, verifies it, or sends garbage.
    for data in (f"r:{row.id}:s:0", f"v:{row.id}:1", "u:acc:notanumber", "hello", f"u:res:{row.id}"):
        answer = await other.press(data, message_id=last["message_id"], force=True, wait_answer=True)
        assert answer["text"] == "无权操作", data
    assert await _events(app, row.id) == before

    # The real member accepts; a colleague's late press on the old button is stale.
    await member.press("📥 接单", message_id=card["message_id"], wait_answer=True)
    colleague = people.user(UNIT_CHENGXI_2, chat_id=CHENGXI_GROUP)
    answer = await colleague.press(
        f"u:acc:{row.id}", message_id=card["message_id"], force=True, wait_answer=True
    )
    assert answer["text"] == "该案件已处理"
    # Only the member who accepted may finish it.
    answer = await colleague.press(
        f"u:res:{row.id}", message_id=card["message_id"], force=True, wait_answer=True
    )
    assert answer["text"] == "无权操作"
    # The reporter cannot rate before it is resolved.
    answer = await resident.press(f"r:{row.id}:u:0", message_id=mine, force=True, wait_answer=True)
    assert answer["text"] == "该案件已处理"
    row2 = await case_row(app, number)
    assert row2.status == "accepted" and row2.rework_count == 0
    assert await _events(app, row.id) == before + 1


async def test_resolve_asks_to_start_the_bot_first(app, people, sandbox, runtime):
    """办结 needs a private chat; a member who never pressed START is told so."""
    number = await report(people.user(RESIDENT2), "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    member, card = await _card(people, number)
    sandbox.world.users[UNIT_CHENGXI].started = False
    await member.press("📥 接单", message_id=card["message_id"], wait_answer=True)
    await member.wait_for_message(
        lambda m: m["message_id"] == card["message_id"] and "处置中" in m.get("text", "")
    )
    answer = await member.press("✅ 办结", message_id=card["message_id"], wait_answer=True)
    assert answer["show_alert"] and "/start" in answer["text"]
    assert (await case_row(app, number)).status == "accepted"
