"""A long report a client split into several messages (Telegram splits a text over 4,096
characters) is one report: the parts sent within a moment are joined."""

from __future__ import annotations

from tests.bot.conftest import RESIDENT
from tests.bot.helpers import case_row, number_in


async def test_the_parts_of_a_split_message_make_one_report(app, people, runtime):
    resident = people.user(RESIDENT)
    first = "五丰菜市场门口有人摆摊，" + "占道经营的摊位从早到晚都在，行人只能走到机动车道上。" * 120
    second = "另外他们还把污水直接倒在盲道上，最后这一段是第二条消息。"
    assert len(first) > 3000
    await resident.send_text(first)
    await resident.send_text(second)  # at once, as a client sends the parts
    await resident.wait_for_message("五丰菜市场")
    await resident.press("就在五丰菜市场")
    await resident.wait_for_message("现场照片")
    await resident.press("跳过")
    await resident.wait_for_message("请核对")
    await resident.press("✅ 提交")
    number = number_in((await resident.wait_for_message("已受理"))["text"])
    row = await case_row(app, number)
    assert row.description.startswith("五丰菜市场门口有人摆摊") and row.description.endswith("第二条消息。")
    # one question about the place stands (the one asked before the second part went)
    asked = [m for m in await resident.messages() if "识别到地点" in (m.get("text") or "")]
    assert len(asked) == 1
    # nothing was taken for an address
    assert not [m for m in await resident.messages() if "没有找到" in (m.get("text") or "")]
