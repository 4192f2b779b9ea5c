"""A place name that means more than one landmark ("夜市": 五一路夜市 and 五丰夜市) is asked
about with a button for each, never picked silently."""

from __future__ import annotations

from tests.bot.conftest import RESIDENT, RESIDENT2
from tests.bot.helpers import case_row, number_in


def _keyboard_buttons(chat: dict) -> list[str]:
    return [b["text"] for row in (chat.get("keyboard") or {}).get("keyboard", []) for b in row]


async def test_an_ambiguous_landmark_is_asked_about(app, people, runtime):
    resident = people.user(RESIDENT)
    await resident.send_text("夜市门口有人摆摊，把路都堵了")
    ask = await resident.wait_for_message("不止一处")
    assert "五一路夜市" in ask["text"] and "五丰夜市" in ask["text"]
    buttons = _keyboard_buttons(await people.chat(RESIDENT))
    assert "就在五一路夜市" in buttons and "就在五丰夜市" in buttons
    await resident.press("就在五丰夜市")
    await resident.wait_for_message("现场照片")
    await resident.press("跳过")
    await resident.wait_for_message("请核对")
    await resident.press("✅ 提交")
    number = number_in((await resident.wait_for_message("已受理"))["text"])
    row = await case_row(app, number)
    assert (row.grid_id, row.address) == ("G-01-02-01-01", "五丰夜市")


async def test_a_typed_ambiguous_address_is_asked_about(app, people, runtime):
    resident = people.user(RESIDENT2)
    await resident.send_text("路边有人摆摊")
    await resident.wait_for_message("问题在哪里")
    await resident.send_text("夜市")
    await resident.wait_for_message("不止一处")
    await resident.press("就在五一路夜市")
    await resident.wait_for_message("现场照片")
