"""The web chat page in headless Chromium, used as a person would use it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from tgsandbox.server import SandboxHandle

from .conftest import ARTIFACTS, Poller
from .images import street_scene

pytestmark = pytest.mark.browser

RESIDENT = 100001  # 张桂兰 in the demo county
SANITATION_GROUP = -1001000000008  # 城区环卫所
SANITATION_MEMBER = 300012  # 杨秀珍


@pytest.fixture
def sandbox(demo_sandbox: SandboxHandle) -> SandboxHandle:
    return demo_sandbox


@pytest.fixture
async def page(sandbox: SandboxHandle, browser: Any) -> AsyncIterator[Any]:
    page = await browser.new_page(viewport={"width": 1280, "height": 820})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    await page.close()
    assert errors == []


async def test_resident_reports_through_the_page(sandbox, bot, page):
    from playwright.async_api import expect

    poller = Poller(bot)
    ARTIFACTS.mkdir(exist_ok=True)
    await page.goto(f"{sandbox.url}/?user={RESIDENT}")
    await expect(page.locator("#chat-title")).to_have_text("网格通")

    await page.click("#start-btn")
    assert (await poller.one()).message.text == "/start"
    await bot.send_message(RESIDENT, "您好，<b>张桂兰</b>！直接发文字描述问题，再发位置和照片即可上报。",
                           parse_mode="HTML")
    await expect(page.locator(".msg-row:not(.out) .text b")).to_have_text("张桂兰")

    report = "解放路菜市场门口垃圾堆了好几天了，很臭"
    await page.fill("#composer-input", report)
    await page.press("#composer-input", "Enter")
    await expect(page.locator(".msg-row.out .text").last).to_contain_text(report)
    assert (await poller.one()).message.text == report
    assert await page.input_value("#composer-input") == ""

    await bot.send_message(RESIDENT, "请发送问题的位置，或选择附近的地标：", reply_markup=ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="发送当前位置", request_location=True)],
                  [KeyboardButton(text="跳过")]], resize_keyboard=True, one_time_keyboard=True))
    await page.click("#location-btn")
    await page.fill("#place-search", "菜市场")
    await page.click("#place-list li:has-text('解放路菜市场')")
    await expect(page.locator("#map-selection")).to_contain_text("解放社区第4网格")
    await page.click("#map-send")
    venue = (await poller.one()).message
    assert venue.venue.title == "解放路菜市场" and abs(venue.location.latitude - 25.838) < 0.001

    await page.set_input_files("#photo-input", files=[
        {"name": f"p{i}.png", "mimeType": "image/png", "buffer": street_scene(seed=i)}
        for i in (0, 2)])
    album = await poller.next()
    assert len(album) == 2 and album[0].message.media_group_id == album[1].message.media_group_id
    await expect(page.locator(".album.n2 img")).to_have_count(2)

    card = await bot.send_message(
        RESIDENT, "<b>请确认上报内容</b>\n类别：垃圾清运\n地点：解放路菜市场（解放社区第4网格）\n"
        f"描述：{report}\n照片：2 张", parse_mode="HTML",
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[
            [InlineKeyboardButton(text="提交", callback_data="report:submit")],
            [InlineKeyboardButton(text="改类别", callback_data="report:category"),
             InlineKeyboardButton(text="取消", callback_data="report:cancel")]]))
    await page.click(".ikb-btn:has-text('提交')")
    query = (await poller.one()).callback_query
    assert query.data == "report:submit" and query.from_user.id == RESIDENT
    await bot.answer_callback_query(query.id, text="已提交")
    await bot.edit_message_text("<b>已提交</b>，案件号 QH-20261123-0001\n预计 1 个工作日内处理，请留意通知。",
                                chat_id=RESIDENT, message_id=card.message_id, parse_mode="HTML")
    await expect(page.locator("#toast")).to_have_text("已提交")
    edited = page.locator(f'.msg-row[data-message-id="{card.message_id}"]')
    await expect(edited).to_contain_text("QH-20261123-0001")
    await expect(edited).to_contain_text("已编辑")
    await expect(edited.locator(".ikb-btn")).to_have_count(0)
    await page.wait_for_timeout(1500)  # let the edit highlight fade before the picture
    await page.screenshot(path=str(ARTIFACTS / "sandbox-resident.png"))


async def test_unit_member_accepts_a_card_in_the_group(sandbox, bot, page):
    from playwright.async_api import expect

    poller = Poller(bot)
    ARTIFACTS.mkdir(exist_ok=True)
    photo = await bot.send_photo(SANITATION_GROUP, _photo(), caption="现场照片")
    await bot.send_location(SANITATION_GROUP, 25.838018, 115.021984)
    card = await bot.send_message(
        SANITATION_GROUP, "<b>新案件 QH-20261123-0001</b> · 垃圾清运\n地点：解放路菜市场（解放社区第4网格）\n"
        "描述：门口垃圾堆了好几天了\n处置时限：今天 17:00 前", parse_mode="HTML",
        reply_to_message_id=photo.message_id,
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
            InlineKeyboardButton(text="接单", callback_data="case:accept:1"),
            InlineKeyboardButton(text="退回", callback_data="case:return:1")]]))
    await page.goto(f"{sandbox.url}/?user={SANITATION_MEMBER}&chat={SANITATION_GROUP}")
    await expect(page.locator("#chat-title")).to_have_text("城区环卫所")
    await page.click(".ikb-btn:has-text('接单')")
    query = (await poller.one()).callback_query
    assert query.message.message_id == card.message_id
    await bot.answer_callback_query(query.id, text="接单成功：请在时限内处置并上传结果照片。",
                                    show_alert=True)
    await bot.edit_message_reply_markup(
        chat_id=SANITATION_GROUP, message_id=card.message_id,
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
            InlineKeyboardButton(text="办结", callback_data="case:resolve:1")]]))
    await expect(page.locator("#alert-dialog")).to_contain_text("接单成功")
    await expect(page.locator(".ikb-btn:has-text('办结')")).to_be_visible()
    await page.wait_for_timeout(1500)
    await page.screenshot(path=str(ARTIFACTS / "sandbox-unit-group.png"))
    await page.click("#alert-ok")
    await expect(page.locator("#alert-dialog")).to_be_hidden()


def _photo() -> Any:
    from aiogram.types import BufferedInputFile

    return BufferedInputFile(street_scene(seed=1), "scene.png")
