"""What unit groups, their members and grid workers see: the command menu per kind of chat
and its commands answered there, who may 办结, this round's result photos, /tasks buttons."""

from __future__ import annotations

import asyncio

from tests.bot.conftest import (
    CHENGXI_GROUP,
    DISPATCHER,
    RESIDENT,
    UNIT_CHENGXI,
    UNIT_CHENGXI_2,
    WORKER_WUFENG,
)
from tests.bot.fakes import png
from tests.bot.helpers import case_row, has_button, report, seen_or_wait, watching
from tgsandbox.client import buttons_of


async def _card(people, number):
    member = await watching(people.user(UNIT_CHENGXI, chat_id=CHENGXI_GROUP))
    card = await seen_or_wait(member, lambda m: number in m.get("text", "") and has_button(m, "📥 接单"))
    return member, card


async def _accept(member, card):
    await member.press("📥 接单", message_id=card["message_id"], wait_answer=True)
    await member.wait_for_message(
        lambda m: m["message_id"] == card["message_id"] and "处置中" in m.get("text", "")
    )


async def _resolve(people, member, card, rgb, note):
    private = await watching(people.user(member.user_id))
    await member.press("✅ 办结", message_id=card["message_id"], wait_answer=True)
    await private.wait_for_message("处置后的现场照片")
    await private.send_photo(png(rgb=rgb), caption=note)
    await private.wait_for_message("已办结")


DISPATCH_GROUP = -1001000000099


async def dispatchers_group(app, people, *members: int) -> int:
    """A dispatchers' group (调度群) with these members, configured as the app's."""
    await people.create_group(chat_id=DISPATCH_GROUP, title="指挥中心调度群", members=list(members),
                              bot_member=True)
    app.registry.dispatch_chat_id = DISPATCH_GROUP
    return DISPATCH_GROUP


def _names(commands):
    return [c["command"] for c in commands]


async def test_each_kind_of_chat_gets_its_own_menu(app, people, runtime):
    """Private chats list the residents' commands; a unit's group only what answers there;
    the dispatchers' group its own (BotCommandScopeChat)."""
    await dispatchers_group(app, people, DISPATCHER)
    await runtime.announce_commands()
    assert _names((await people.chat(RESIDENT))["commands"]) == ["start", "my", "tasks", "patrol", "cancel", "help"]
    assert _names((await people.chat(CHENGXI_GROUP))["commands"]) == ["tasks", "help"]
    centre = (await people.chat(DISPATCH_GROUP))["commands"]
    assert _names(centre) == ["tasks", "help"] and "待分拨" in centre[0]["description"]


async def test_what_the_group_menu_lists_answers_in_the_group(app, people, runtime):
    number = await report(people.user(RESIDENT), "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    member, _ = await _card(people, number)
    await member.send_text("/tasks")
    answer = await member.wait_for_message("待处置案件")
    assert "城西执法中队" in answer["text"] and number in answer["text"]
    assert "⏰" in answer["text"] and "月" in answer["text"]  # the deadline
    await member.send_text("/help")
    assert "/tasks" in (await member.wait_for_message("工作群"))["text"]
    # The dispatchers' group: the cases waiting for them.
    centre = await watching(people.user(DISPATCHER, chat_id=await dispatchers_group(app, people, DISPATCHER)))
    await centre.send_text("/tasks")
    assert "待分拨" in (await centre.wait_for_message("待分拨"))["text"]


async def test_a_colleague_is_told_who_may_resolve_and_why(app, people, runtime):
    number = await report(people.user(RESIDENT), "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    member, card = await _card(people, number)
    await _accept(member, card)
    colleague = people.user(UNIT_CHENGXI_2, chat_id=CHENGXI_GROUP)
    answer = await colleague.press("✅ 办结", message_id=card["message_id"], wait_answer=True)
    assert answer["show_alert"]
    assert "王强" in answer["text"] and "接单人" in answer["text"] and "照片" in answer["text"]
    assert (await case_row(app, number)).status == "accepted"


async def test_after_a_rework_the_resident_sees_only_this_rounds_photos(app, people, runtime):
    resident = people.user(RESIDENT)
    number = await report(resident, "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    member, card = await _card(people, number)
    await _accept(member, card)
    await _resolve(people, member, card, (0, 200, 0), "第一次处置")
    first = await resident.wait_for_message(lambda m: "已处置完毕" in (m.get("caption") or ""))
    await seen_or_wait(resident, lambda m: "进行评价" in m.get("text", "") and buttons_of(m))
    await resident.press("❌ 没解决", wait_answer=True)
    await resident.press("😞 不满意", wait_answer=True)
    await resident.wait_for_message("说明原因")
    await resident.press("跳过")
    fresh = await seen_or_wait(
        member,
        lambda m: number in m.get("text", "") and has_button(m, "📥 接单") and m["message_id"] != card["message_id"],
        timeout=15,
    )
    await _accept(member, fresh)
    await _resolve(people, member, fresh, (200, 0, 0), "第二次处置")
    second = await resident.wait_for_message(lambda m: "第二次处置" in (m.get("caption") or ""), timeout=15)
    assert second.get("media_group_id") is None  # one photo, not an album with the first round's
    assert second["photo"][-1]["file_unique_id"] != first["photo"][-1]["file_unique_id"]
    albums = [m for m in await resident.messages() if m.get("media_group_id") and m["message_id"] > first["message_id"]]
    assert albums == []


async def test_tasks_buttons_say_what_they_do(app, people, runtime):
    number = await report(people.user(RESIDENT), "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    member, card = await _card(people, number)
    await _accept(member, card)
    await _resolve(people, member, card, (0, 200, 0), "已处理")
    worker = await watching(people.user(WORKER_WUFENG))
    await worker.send_text("/tasks")
    answer = await worker.wait_for_message("待核查")
    short = number[-4:]
    assert [b["text"] for b in buttons_of(answer)] == [f"✅ 通过 {short}", f"❌ 未解决 {short}"]


async def test_one_unsatisfied_answer_is_one_message(app, people, runtime):
    """不满意: the rating request itself says it was rated and sent back (返工), with the reason;
    after the reason is asked and acknowledged, the relay's notice of the 返工 edits that
    message instead of adding another."""
    resident = people.user(RESIDENT)
    number = await report(resident, "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    member, card = await _card(people, number)
    await _accept(member, card)
    await _resolve(people, member, card, (0, 200, 0), "已处理")
    ask = await seen_or_wait(resident, lambda m: "进行评价" in m.get("text", "") and buttons_of(m))
    await resident.press("❌ 没解决", message_id=ask["message_id"], wait_answer=True)
    await resident.press("😞 不满意", message_id=ask["message_id"], wait_answer=True)
    prompt = await resident.wait_for_message("说明原因")
    await resident.send_text("摊贩又回来了")
    ack = await resident.wait_for_message("返工")
    await seen_or_wait(
        member,
        lambda m: number in m.get("text", "") and has_button(m, "📥 接单") and m["message_id"] != card["message_id"],
        timeout=15,
    )
    await asyncio.sleep(1.0)  # the relay's notices to the resident are out by now
    after = [m for m in await resident.messages()
             if m.get("from", {}).get("is_bot") and m["message_id"] > ask["message_id"]]
    assert [m["message_id"] for m in after] == [prompt["message_id"], ack["message_id"]]
    edited = next(m for m in await resident.messages() if m["message_id"] == ask["message_id"])
    assert "不满意" in edited["text"] and "重新处理" in edited["text"] and not buttons_of(edited)
    assert "摊贩又回来了" in edited["text"]
