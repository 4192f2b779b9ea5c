"""Everything a person reads in chat comes from the text catalog in plain Chinese: no routing
notes ("规则: …", "→"), no internal states, no exception text, no English."""

from __future__ import annotations

import re
from typing import Any

from tests.bot.conftest import CHENGXI_GROUP, DISPATCHER, RESIDENT, RESIDENT2, UNIT_CHENGXI
from tests.bot.fakes import png
from tests.bot.helpers import has_button, report, seen_or_wait, watching
from tgsandbox.client import buttons_of

INTERNAL = re.compile(
    r"规则[:：]|兜底[:：]|→|未定位到网格|没有负责单位,转|Traceback|Error|Exception|None|null|"
    r"triage|dispatched|accepted|resolved|reopened|street_vending|garbage"
)
# Latin words a person may read: the bot's commands.
ALLOWED_WORDS = {"start", "my", "tasks", "cancel", "help", "bind"}


def _outgoing(sandbox: Any) -> list[tuple[int, str]]:
    """(chat, text) of everything the bot sent or edited to: texts, captions, button labels."""
    out = []
    for chat in sandbox.world.chats.values():
        for m in chat.messages.values():
            if not m.get("from", {}).get("is_bot"):
                continue
            out.append((chat.id, str(m.get("text") or m.get("caption") or "")))
            out += [(chat.id, b["text"]) for b in buttons_of(m)]
    return out


def leaks(sandbox: Any) -> list[tuple[int, str]]:
    found = []
    for chat_id, text in _outgoing(sandbox):
        words = set(re.findall(r"[A-Za-z_]{2,}", re.sub(r"QH-\d{8}-\d{4}|<[^>]+>", "", text)))
        if INTERNAL.search(text) or words - ALLOWED_WORDS:
            found.append((chat_id, text))
    return found


async def test_the_main_flows_speak_plain_chinese(app, people, sandbox, runtime):
    resident = people.user(RESIDENT)
    dispatcher = await watching(people.user(DISPATCHER))
    # A report routed by a landmark: the unit works it, the resident asks and rates.
    number = await report(resident, "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    member = await watching(people.user(UNIT_CHENGXI, chat_id=CHENGXI_GROUP))
    card = await seen_or_wait(member, lambda m: number in m.get("text", "") and has_button(m, "📥 接单"))
    await resident.send_text(f"{number} 怎么样了")
    status = await resident.wait_for_message("最新进展")
    assert "城西执法中队" in status["text"]
    await member.press("📥 接单", message_id=card["message_id"], wait_answer=True)
    await member.wait_for_message(  # the card shows 办结 once the relay has edited it
        lambda m: m["message_id"] == card["message_id"] and "处置中" in m.get("text", ""), timeout=15
    )
    await member.send_text("/tasks")
    await member.wait_for_message("待处置案件")
    private = await watching(people.user(UNIT_CHENGXI))
    await member.press("✅ 办结", message_id=card["message_id"], wait_answer=True)
    await private.wait_for_message("处置后的现场照片")
    await private.send_photo(png(rgb=(0, 200, 0)), caption="摊贩已劝离")
    await private.wait_for_message("已办结")
    await seen_or_wait(resident, lambda m: "进行评价" in m.get("text", "") and buttons_of(m))
    await resident.press("✅ 解决了", wait_answer=True)
    await resident.press("😊 满意", wait_answer=True)
    await resident.send_text("/my")
    await resident.wait_for_message("QH-")
    # A report without a place: it waits for a dispatcher, who is told why in plain words.
    other = await report(people.user(RESIDENT2), "路边有人摆摊")
    triage = await dispatcher.wait_for_message(other)
    assert "没有发送位置" in triage["text"]
    await people.user(RESIDENT2).send_text(f"{other} 怎么样了")
    await people.user(RESIDENT2).wait_for_message("网格中心正在确定处理单位")
    assert leaks(sandbox) == []
