"""The summary card lets the person change the place, the description and the photos, not
only the category; each change comes back as a new card."""

from __future__ import annotations

from tests.bot.conftest import RESIDENT, market_point
from tests.bot.fakes import png
from tests.bot.helpers import case_row, number_in
from tgsandbox.client import buttons_of


async def _to_summary(resident):
    await resident.send_text("路边有人摆摊")
    await resident.wait_for_message("问题在哪里")
    await resident.press("跳过")
    await resident.wait_for_message("现场照片")
    await resident.send_photo(png(rgb=(10, 10, 10)))
    await resident.wait_for_message("已收到照片")
    await resident.press("完成")
    return await resident.wait_for_message("请核对")


async def test_place_description_and_photos_can_be_changed_on_the_card(app, people, runtime):
    resident = people.user(RESIDENT)
    card = await _to_summary(resident)
    labels = [b["text"] for b in buttons_of(card)]
    assert {"📍 改地点", "📝 改描述", "📷 改照片", "✏️ 改类别"} <= set(labels)

    # the place: a shared location
    await resident.press("📍 改地点", message_id=card["message_id"])
    await resident.wait_for_message("请发送新的位置")
    old = next(m for m in await resident.messages() if m["message_id"] == card["message_id"])
    assert not buttons_of(old)  # the old card steps aside
    await resident.press("📍 发送当前位置", location=market_point(app))
    card = await resident.wait_for_message(lambda m: "请核对" in m.get("text", "") and m["message_id"] != card["message_id"])
    assert "五丰社区第1网格" in card["text"]

    # the description
    await resident.press("📝 改描述", message_id=card["message_id"])
    await resident.wait_for_message("请重新描述")
    await resident.send_text("菜市场门口有人摆摊卖水果，占了人行道")
    card = await resident.wait_for_message(lambda m: "请核对" in m.get("text", "") and m["message_id"] != card["message_id"])
    assert "卖水果" in card["text"]

    # the photos: the old one goes, two new ones come
    await resident.press("📷 改照片", message_id=card["message_id"])
    await resident.wait_for_message("原来的照片已去掉")
    await resident.send_photo([png(rgb=(200, 0, 0)), png(rgb=(0, 0, 200))])
    await resident.wait_for_message("已收到照片")
    await resident.press("完成")
    card = await resident.wait_for_message(lambda m: "请核对" in m.get("text", "") and m["message_id"] != card["message_id"])

    await resident.press("✅ 提交", message_id=card["message_id"])
    number = number_in((await resident.wait_for_message("已受理"))["text"])
    row = await case_row(app, number)
    assert row.grid_id == "G-01-02-01-01" and "卖水果" in row.description
    assert len(row.photos) == 2


async def test_a_typed_address_changes_the_place(app, people, runtime):
    resident = people.user(RESIDENT)
    card = await _to_summary(resident)
    await resident.press("📍 改地点", message_id=card["message_id"])
    await resident.wait_for_message("请发送新的位置")
    await resident.send_text("五丰菜市场")
    card = await resident.wait_for_message(lambda m: "请核对" in m.get("text", "") and m["message_id"] != card["message_id"])
    assert "五丰菜市场" in card["text"]
