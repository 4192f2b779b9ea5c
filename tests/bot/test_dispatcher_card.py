"""The dispatchers' card of a case waiting for a unit (待分拨): 派给 one of the likely units,
退回 the unit that returned it, and a link to the case in the console. Only dispatchers may
press; forged and stale presses change nothing."""

from __future__ import annotations

from tests.bot.conftest import CHENGXI_GROUP, DISPATCHER, RESIDENT, UNIT_CHENGXI
from tests.bot.helpers import case_row, has_button, report, seen_or_wait, watching
from tests.bot.test_chat_menus import dispatchers_group
from tgsandbox.client import buttons_of

CONSOLE = "https://console.example.org"


async def test_dispatchers_dispatch_from_the_card(app, people, runtime):
    app.settings.console_url = CONSOLE
    group = await dispatchers_group(app, people, DISPATCHER, UNIT_CHENGXI)
    dispatcher = await watching(people.user(DISPATCHER, chat_id=group))
    number = await report(people.user(RESIDENT), "路边有人摆摊")  # no place: 待分拨
    card = await dispatcher.wait_for_message(number)
    labels = [b["text"] for b in buttons_of(card)]
    assert "🔀 派给 城西执法中队" in labels
    row = await case_row(app, number)
    link = next(b for b in buttons_of(card) if b["text"] == "🖥 在控制台打开")
    assert link["url"] == f"{CONSOLE}/cases/{row.id}"

    # someone in the group who is no dispatcher; a forged unit; nothing changes
    member = people.user(UNIT_CHENGXI, chat_id=group)
    answer = await member.press("🔀 派给 城西执法中队", message_id=card["message_id"], wait_answer=True)
    assert answer["show_alert"] and "只有调度员" in answer["text"]
    answer = await dispatcher.press(f"dp:to:{row.id}:no-such-unit", message_id=card["message_id"],
                                    force=True, wait_answer=True)
    assert answer["text"] == "操作已过期"
    assert (await case_row(app, number)).status == "triage"

    unit = await watching(people.user(UNIT_CHENGXI, chat_id=CHENGXI_GROUP))
    answer = await dispatcher.press("🔀 派给 城西执法中队", message_id=card["message_id"], wait_answer=True)
    assert "城西执法中队" in answer["text"]
    row = await case_row(app, number)
    assert (row.status, row.unit_id) == ("dispatched", "zf-chengxi")
    edited = await seen_or_wait(dispatcher, lambda m: m["message_id"] == card["message_id"] and "已分拨" in m["text"])
    assert [b["text"] for b in buttons_of(edited)] == ["🖥 在控制台打开"]
    await seen_or_wait(unit, lambda m: number in m.get("text", "") and has_button(m, "📥 接单"))
    # a second (stale) press changes nothing
    answer = await dispatcher.press(f"dp:to:{row.id}:zf-chengguan", message_id=card["message_id"],
                                    force=True, wait_answer=True)
    assert answer["text"] == "该案件已处理"
    assert (await case_row(app, number)).unit_id == "zf-chengxi"


async def test_a_return_can_be_sent_back_to_the_unit(app, people, runtime):
    app.settings.console_url = None
    group = await dispatchers_group(app, people, DISPATCHER)
    dispatcher = await watching(people.user(DISPATCHER, chat_id=group))
    number = await report(people.user(RESIDENT), "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    member = await watching(people.user(UNIT_CHENGXI, chat_id=CHENGXI_GROUP))
    card = await seen_or_wait(member, lambda m: number in m.get("text", "") and has_button(m, "📥 接单"))
    await member.press("↩️ 退回", message_id=card["message_id"], wait_answer=True)
    ask = await member.wait_for_message("退回案件")
    await member.press("非本单位职责", message_id=ask["message_id"], wait_answer=True)
    triage = await dispatcher.wait_for_message(lambda m: number in m.get("text", "") and "待分拨" in m["text"])
    labels = [b["text"] for b in buttons_of(triage)]
    assert "↩️ 退回「城西执法中队」处理" in labels and "🔀 派给 城西执法中队" not in labels
    assert "🖥 在控制台打开" not in labels  # no console address configured
    await dispatcher.press("↩️ 退回「城西执法中队」处理", message_id=triage["message_id"], wait_answer=True)
    row = await case_row(app, number)
    assert (row.status, row.unit_id) == ("dispatched", "zf-chengxi")
