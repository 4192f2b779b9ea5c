"""The closed loop (闭环) through the real aiogram client and the sandbox:
report → dispatch card → 接单 → 办结 with a photo → resident rates → 核查 → 已结案."""

from __future__ import annotations

from tests.bot.conftest import CHENGXI_GROUP, RESIDENT, UNIT_CHENGXI, WORKER_WUFENG
from tests.bot.fakes import png
from tests.bot.helpers import case_row, has_button, report, transcript, watching
from tgsandbox.client import buttons_of


async def test_report_accept_resolve_rate_verify_closed(app, people, runtime):
    resident = people.user(RESIDENT)
    await resident.send_text("/start")
    await resident.wait_for_message("随手拍")

    number = await report(
        resident, "五丰菜市场门口有人占道摆摊，堵得走不了", place_button="就在五丰菜市场", photos=2
    )
    submitted = await resident.wait_for_message("已受理")
    assert "城西执法中队" in submitted["text"] and "前处理" in submitted["text"]

    # The unit's group gets the card: number, category, place, grid, photos, pin, deadline.
    member = people.user(UNIT_CHENGXI, chat_id=CHENGXI_GROUP)
    card = await member.wait_for_message(lambda m: number in m.get("text", ""), timeout=10)
    for part in ("占道经营", "五丰菜市场", "五丰社区第1网格", "处置时限", "照片 2 张"):
        assert part in card["text"], part
    assert has_button(card, "📥 接单") and has_button(card, "↩️ 退回")
    assert "张桂兰" not in card["text"]  # the reporter is never shown to units
    pin = await member.wait_for_message(lambda m: bool(m.get("location")))
    assert pin["reply_to_message"]["message_id"] == card["message_id"]
    group = await member.messages()
    assert sum(1 for m in group if m.get("photo")) == 2

    # 接单: the card is edited in place.
    answer = await member.press("📥 接单", message_id=card["message_id"], wait_answer=True)
    assert "已接单" in answer["text"]
    edited = await member.wait_for_message(
        lambda m: m["message_id"] == card["message_id"] and "处置中" in m.get("text", "")
    )
    assert "王强" in edited["text"] and has_button(edited, "✅ 办结")
    await resident.wait_for_message("已由「城西执法中队」接单")

    # 办结: asked privately for a result photo and a note.
    private = await watching(people.user(UNIT_CHENGXI))
    await member.press("✅ 办结", message_id=card["message_id"], wait_answer=True)
    await private.wait_for_message("处置后的现场照片")
    await private.send_photo(png(rgb=(20, 160, 60)))
    await private.wait_for_message("说明处置情况")
    await private.send_text("摊贩已劝离，现场已清理")
    await private.wait_for_message("已办结")

    # The resident sees the result photo and is asked to rate.
    result = await resident.wait_for_message(lambda m: "已处置完毕" in (m.get("caption") or ""))
    assert result.get("photo") and "摊贩已劝离" in result["caption"]
    rate = await resident.wait_for_message("进行评价")
    assert "问题解决了吗" in rate["text"]
    assert [b["text"] for b in buttons_of(rate)] == ["✅ 解决了", "❌ 没解决"]
    worker = await watching(people.user(WORKER_WUFENG))
    await resident.press("✅ 解决了", wait_answer=True)
    second = await resident.wait_for_message(lambda m: m["message_id"] == rate["message_id"] and "满意吗" in m["text"])
    assert [b["text"] for b in buttons_of(second)] == ["😊 满意", "🙂 基本满意", "😞 不满意"]
    await resident.press("😊 满意", wait_answer=True)

    # The grid worker verifies on site; the case closes.
    task = await worker.wait_for_message("核查任务")
    assert number in task["text"] and "摊贩已劝离" in task["text"]
    answer = await worker.press("✅ 核查通过", message_id=task["message_id"], wait_answer=True)
    assert answer["text"] == "已核查通过。"
    await resident.wait_for_message("已结案")
    final = await member.wait_for_message(
        lambda m: m["message_id"] == card["message_id"] and "已结案" in m.get("text", "")
    )
    assert not buttons_of(final)

    said = [m.get("text") or m.get("caption") or "" for m in await resident.messages()
            if m.get("from", {}).get("is_bot")]
    assert sum("已派遣至" in t for t in said) == 1  # the submit reply; no second "dispatched" notice
    row = await case_row(app, number)
    assert row.status == "closed" and row.rating == "satisfied"
    # Every message of the report is in the transcript and linked to the case.
    rows = await transcript(app, RESIDENT)
    linked = [r for r in rows if r.case_id == row.id]
    assert {r.direction for r in linked} == {"in", "out"}
    assert any(r.kind == "photo" and r.direction == "in" for r in linked)
    assert any("五丰菜市场门口" in r.text for r in linked)
    # The console's transcript: a conversation per person or group, the labels pressed, the
    # unit member's result photo and note (sent privately after 办结) with the case.
    from admin.transcript_view import conversations

    async with app.uow() as uow:
        messages = await uow.messages.for_case(row.id)
        case = await uow.cases.get(row.id)
    convs = await conversations(app.uow(), app.registry, case, messages)
    by_chat = {c.chat_id: c for c in convs}
    pressed = {c.chat_id: [line.pressed for line in c.lines if line.pressed] for c in convs}
    assert convs[0].chat_id == RESIDENT and convs[0].kind == "reporter"
    assert {"✅ 解决了", "😊 满意"} <= set(pressed[RESIDENT])
    assert {"📥 接单", "✅ 办结"} <= set(pressed[CHENGXI_GROUP]) and by_chat[CHENGXI_GROUP].kind == "unit"
    assert "✅ 核查通过" in pressed[WORKER_WUFENG] and by_chat[WORKER_WUFENG].kind == "grid_worker"
    own = [line.msg for line in by_chat[UNIT_CHENGXI].lines if line.msg.direction == "in"]
    assert any(m.kind == "photo" for m in own) and any("摊贩已劝离" in m.text for m in own)
    rate_ask = next(line for line in by_chat[RESIDENT].lines if "进行评价" in line.msg.text)
    assert rate_ask.buttons == [["✅ 解决了", "❌ 没解决"]]  # the first question; the second edits it
