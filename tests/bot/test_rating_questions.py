"""The resident's two questions after a case is handled — "问题解决了吗" (解决了 / 没解决), then
how satisfied — the reason asked for an unsolved or unhappy answer, and that reason (or the
grid worker's, when a 核查 fails) on the rework card the unit receives."""

from __future__ import annotations

from sqlalchemy import select

from dispatch.db.orm import CaseEventRow
from tests.bot.conftest import RESIDENT, RESIDENT2, UNIT_OTHER
from tests.bot.helpers import case_row, has_button, report, seen_or_wait
from tests.bot.test_unit_actions import _accept_and_resolve, _card, _events
from tgsandbox.client import buttons_of


async def _rating_events(app, case_id: int) -> list[CaseEventRow]:
    async with app.uow() as uow:
        rows = await uow.session.scalars(
            select(CaseEventRow).where(CaseEventRow.case_id == case_id).order_by(CaseEventRow.id)
        )
        return [r for r in rows if "rating" in (r.data or {}) and not (r.data or {}).get("by_default")]


async def _asked(people):
    """A report handled by the unit: the resident is asked the first question."""
    resident = people.user(RESIDENT)
    number = await report(resident, "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    member, card = await _card(people, number)
    await _accept_and_resolve(people, member, card)
    ask = await seen_or_wait(resident, lambda m: "问题解决了吗" in m.get("text", "") and buttons_of(m))
    return resident, number, member, card, ask


async def _rework_card(member, number: str, old_id: int):
    return await member.wait_for_message(
        lambda m: number in m.get("text", "") and "返工原因" in m.get("text", "") and m["message_id"] != old_id,
        timeout=15,
    )


async def test_unsolved_with_a_reason_reaches_the_rework_card(app, people, runtime):
    resident, number, member, card, ask = await _asked(people)
    await resident.press("❌ 没解决", message_id=ask["message_id"], wait_answer=True)
    await resident.press("😞 不满意", message_id=ask["message_id"], wait_answer=True)
    await resident.wait_for_message("说明原因")
    # Too long: said so, nothing stored, the question stands.
    row = await case_row(app, number)
    before = await _events(app, row.id)
    await resident.send_text("摊" * 201)
    await resident.wait_for_message("最多 200 字，您发送了 201 字")
    assert await _events(app, row.id) == before
    assert (await case_row(app, number)).status == "resolved"
    # A reply within the conversation is the reason.
    await resident.send_text("摊贩第二天又回来了")
    await resident.wait_for_message("返工")
    done = await resident.wait_for_message(
        lambda m: m["message_id"] == ask["message_id"] and "原因：摊贩第二天又回来了" in m.get("text", "")
    )
    assert "问题解决了吗：没解决" in done["text"] and "已评价：不满意" in done["text"]
    assert not buttons_of(done)

    fresh = await _rework_card(member, number, card["message_id"])
    assert "返工原因：摊贩第二天又回来了" in fresh["text"] and has_button(fresh, "📥 接单")
    row = await case_row(app, number)
    assert (row.status, row.rework_count) == ("dispatched", 1)
    [event] = await _rating_events(app, row.id)
    assert (event.action, event.note) == ("reopened", "摊贩第二天又回来了")
    assert event.data["solved"] is False and event.data["rating"] == "unsatisfied"


async def test_solved_and_satisfied_is_stored_without_a_reason(app, people, runtime):
    resident, number, member, card, ask = await _asked(people)
    await resident.press("✅ 解决了", message_id=ask["message_id"], wait_answer=True)
    answer = await resident.press("🙂 基本满意", message_id=ask["message_id"], wait_answer=True)
    assert answer["text"] == "感谢您的评价：基本满意"
    row = await case_row(app, number)
    assert row.rating == "basically_satisfied"
    [event] = await _rating_events(app, row.id)
    assert event.data["solved"] is True and event.data["rating"] == "basically_satisfied"


async def test_unsolved_but_satisfied_asks_why_and_skip_keeps_no_reason(app, people, runtime):
    resident, number, member, card, ask = await _asked(people)
    await resident.press("❌ 没解决", message_id=ask["message_id"], wait_answer=True)
    await resident.press("😊 满意", message_id=ask["message_id"], wait_answer=True)
    await resident.wait_for_message("说明原因")
    await resident.press("跳过")
    await resident.wait_for_message("感谢您的评价：满意")
    row = await case_row(app, number)
    assert (row.rating, row.rework_count) == ("satisfied", 0)
    [event] = await _rating_events(app, row.id)
    assert event.data["solved"] is False


async def test_foreign_stale_and_repeated_answers_change_nothing(app, people, runtime):
    resident = people.user(RESIDENT)
    number = await report(resident, "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    member, card = await _card(people, number)
    row = await case_row(app, number)
    mine = (await resident.messages())[-1]["message_id"]
    # Before it is resolved, the reporter's forged answer is refused.
    answer = await resident.press(f"rs:{row.id}:1:0", message_id=mine, force=True, wait_answer=True)
    assert answer["text"] == "该案件已处理"
    await _accept_and_resolve(people, member, card)
    ask = await seen_or_wait(resident, lambda m: "问题解决了吗" in m.get("text", "") and buttons_of(m))
    before = await _events(app, row.id)

    # Someone else answers either question of this case, or a round that does not exist.
    other = people.user(RESIDENT2)
    await other.send_text("/start")
    last = (await other.messages())[-1]["message_id"]
    for data in (f"rs:{row.id}:0:0", f"rt:{row.id}:u:0:0", f"rt:{row.id}:s:0:1"):
        answer = await other.press(data, message_id=last, force=True, wait_answer=True)
        assert answer["text"] == "无权操作", data
    unit_member = people.user(UNIT_OTHER)
    answer = await unit_member.press(f"rs:{row.id}:1:0", message_id=last, force=True, wait_answer=True)
    assert answer["text"] == "无权操作"
    assert await _events(app, row.id) == before

    # Rated once; a second press of the same buttons is refused and stores nothing.
    await resident.press("✅ 解决了", message_id=ask["message_id"], wait_answer=True)
    await resident.press("😊 满意", message_id=ask["message_id"], wait_answer=True)
    after = await _events(app, row.id)
    for data in (f"rt:{row.id}:u:0:0", f"rs:{row.id}:0:0"):
        answer = await resident.press(data, message_id=ask["message_id"], force=True, wait_answer=True)
        assert answer["text"] == "该案件已处理", data
    # A round that is not this case's: outdated.
    answer = await resident.press(f"rt:{row.id}:u:5:0", message_id=ask["message_id"], force=True, wait_answer=True)
    assert "已过期" in answer["text"]
    assert await _events(app, row.id) == after
    assert len(await _rating_events(app, row.id)) == 1
