"""The web chat page in headless Chromium: sharing and walking a live location, long texts,
the "/" menu per scope, and the page at a phone's width (390 px) next to the desktop's.
Screenshots go to test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from tgsandbox.server import SandboxHandle

from .conftest import ARTIFACTS, Poller

pytestmark = pytest.mark.browser

WORKER = 200001  # 李建国, a grid worker of the demo county (has pressed START)
SANITATION_GROUP = -1001000000008  # 城区环卫所
SANITATION_MEMBER = 300012
DESKTOP = {"width": 1280, "height": 820}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def sandbox(demo_sandbox: SandboxHandle) -> SandboxHandle:
    return demo_sandbox


async def open_page(browser: Any, url: str, viewport: dict[str, int]) -> Any:
    page = await browser.new_page(viewport=viewport)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    await page.goto(url)
    return page


async def fits_width(page: Any, selector: str) -> None:
    """Every element matching ``selector`` lies inside the viewport horizontally."""
    width = page.viewport_size["width"]
    boxes = await page.locator(selector).evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.right]; })")
    assert boxes, selector
    for left, right in boxes:
        assert left >= -0.5 and right <= width + 0.5, (selector, left, right, width)


async def test_share_walk_replay_and_stop_a_live_location(sandbox, bot, browser, tmp_path):
    from playwright.async_api import expect

    poller = Poller(bot)
    page = await open_page(browser, f"{sandbox.url}/?user={WORKER}", DESKTOP)
    await expect(page.locator("#chat-title")).to_have_text("网格通")
    await page.click("#location-btn")
    await expect(page.locator("#live-start")).to_be_visible()
    await expect(page.locator("#map-live")).to_be_disabled()
    await page.click("#map-canvas", position={"x": 420, "y": 300})
    await page.select_option("#live-period", "3600")
    await page.click("#map-live")
    started = (await poller.one()).message
    assert started.location.live_period == 3600 and started.from_user.id == WORKER
    await expect(page.locator("#live-modal")).to_be_visible()

    # walk: each click on the map is one move, an edited_message of the same message
    for x, y in ((460, 300), (500, 330)):
        await page.click("#live-canvas", position={"x": x, "y": y})
        moved = (await poller.one()).edited_message
        assert moved.message_id == started.message_id and moved.edit_date
        assert moved.location.live_period == 3600
    assert moved.location.longitude > started.location.longitude
    await expect(page.locator("#live-position")).to_contain_text("已移动 2 次")

    # replay a track file at 60x: 3 points 1 s apart take ~30 ms each
    lat, lon = moved.location.latitude, moved.location.longitude
    track = tmp_path / "patrol.csv"
    track.write_text("lat,lon,t\n" + "".join(
        f"{lat + i * 0.0005:.6f},{lon + i * 0.0004:.6f},{i}\n" for i in range(1, 4)))
    await page.set_input_files("#track-input", str(track))
    await expect(page.locator("#track-info")).to_contain_text("3 个点")
    await page.select_option("#replay-speed", "60")
    await page.click("#replay-btn")
    replayed = [u.edited_message for u in await poller.next()]
    for _ in range(5):
        if len(replayed) >= 3:
            break
        replayed += [u.edited_message for u in await poller.next(timeout=1)]
    assert [round(m.location.latitude, 6) for m in replayed] == [
        round(lat + i * 0.0005, 6) for i in range(1, 4)]
    await expect(page.locator("#track-info")).to_contain_text("3 / 3")
    await page.wait_for_timeout(300)
    await page.screenshot(path=str(ARTIFACTS / "sandbox-live-map-desktop.png"))

    await page.click("#live-close")
    await expect(page.locator("#live-bar")).to_contain_text("正在共享实时位置")
    bubble = page.locator(f'.msg-row[data-message-id="{started.message_id}"]')
    await expect(bubble).to_contain_text("实时位置 · 剩余 59 分")
    await page.screenshot(path=str(ARTIFACTS / "sandbox-live-chat-desktop.png"))

    await page.click("#live-bar-stop")
    stopped = (await poller.one()).edited_message
    assert stopped.location.live_period is None
    assert stopped.location.latitude == replayed[-1].location.latitude
    await expect(bubble).to_contain_text("实时位置已结束")
    await expect(page.locator("#live-bar")).to_be_hidden()
    await expect(page.locator("#toast")).to_have_text("已停止共享实时位置")
    assert page.errors == []


async def test_a_long_text_goes_as_several_messages(sandbox, bot, browser):
    from playwright.async_api import expect

    poller = Poller(bot)
    page = await open_page(browser, f"{sandbox.url}/?user={WORKER}", DESKTOP)
    await expect(page.locator("#chat-title")).to_have_text("网格通")
    text = "\n".join(f"{i:03d} 解放路沿线巡查记录：井盖、路灯、垃圾桶均已查看，情况正常。" for i in range(150))
    assert len(text) > 5000
    await page.fill("#composer-input", text)
    await page.press("#composer-input", "Enter")
    updates = await poller.next()
    for _ in range(3):
        if len(updates) >= 2:
            break
        updates += await poller.next(timeout=1)
    parts = [u.message.text for u in updates]
    assert len(parts) == 2 and all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text  # cut at a line break, in order
    assert len(parts[0]) > 4096 - 50
    await expect(page.locator("#toast")).to_have_text("消息超过 4096 字，已分成 2 条依次发送")
    await expect(page.locator(".msg-row.out")).to_have_count(2)
    assert await page.input_value("#composer-input") == ""
    assert page.errors == []


async def test_the_slash_menu_follows_the_chats_scope(sandbox, bot, browser):
    from playwright.async_api import expect

    await bot.set_my_commands([BotCommand(command="report", description="上报问题"),
                               BotCommand(command="patrol", description="开始巡查")],
                              scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands([BotCommand(command="cases", description="本单位案件")],
                              scope=BotCommandScopeAllGroupChats())
    page = await open_page(browser, f"{sandbox.url}/?user={SANITATION_MEMBER}", DESKTOP)
    await expect(page.locator("#commands-btn")).to_be_visible()
    await page.fill("#composer-input", "/pa")
    menu = page.locator("#commands-menu")
    await expect(menu).to_be_visible()
    await expect(menu.locator("[data-command]")).to_have_text(["/patrol开始巡查"])
    await page.click("#commands-btn")
    await page.click("#commands-btn")
    await expect(menu.locator("[data-command]")).to_have_count(1)
    await page.fill("#composer-input", "")
    await page.click(f'[data-chat-id="{SANITATION_GROUP}"]')
    await expect(page.locator("#chat-title")).to_have_text("城区环卫所")
    await page.fill("#composer-input", "/")
    await expect(menu.locator("[data-command]")).to_have_text(["/cases本单位案件"])
    assert page.errors == []


async def test_the_page_at_a_phones_width(sandbox, bot, browser):
    from playwright.async_api import expect

    await bot.send_location(SANITATION_GROUP, 25.838018, 115.021984)
    await bot.send_message(
        SANITATION_GROUP, "<b>新案件 QH-20261123-0001</b> · 垃圾清运\n地点：解放路菜市场（解放社区第4网格）\n"
        "描述：门口垃圾堆了好几天了，天气热味道很大，附近居民多次反映\n处置时限：今天 17:00 前",
        parse_mode="HTML", reply_markup=InlineKeyboardMarkup(inline_keyboard=[
            [InlineKeyboardButton(text="接单", callback_data="a"),
             InlineKeyboardButton(text="退回（非本单位职责）", callback_data="b"),
             InlineKeyboardButton(text="申请延期处置", callback_data="c")],
            [InlineKeyboardButton(text="查看现场照片和历史记录", callback_data="d")]]))
    await bot.send_message(SANITATION_MEMBER, "请选择：", reply_markup=ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="发送当前位置", request_location=True),
                   KeyboardButton(text="我的待办案件"), KeyboardButton(text="帮助")]],
        resize_keyboard=True))
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = await open_page(
            browser, f"{sandbox.url}/?user={SANITATION_MEMBER}&chat={SANITATION_GROUP}", viewport)
        await expect(page.locator(".ikb-btn")).to_have_count(4)
        await page.screenshot(path=str(ARTIFACTS / f"sandbox-group-{name}.png"))
        if name == "phone":
            assert await page.evaluate("document.documentElement.scrollWidth") <= 390
            await expect(page.locator("#sidebar")).to_be_hidden()
            for selector in (".ikb-btn", ".bubble", "#composer-input", "#send-btn",
                             "#location-btn", "#chat-title"):
                await fits_width(page, selector)
            # the chat list is one tap away and comes back to the chat
            await page.click("#back-btn")
            await expect(page.locator("#chat-list")).to_be_visible()
            await fits_width(page, ".chat-item")
            await page.screenshot(path=str(ARTIFACTS / "sandbox-chats-phone.png"))
            await page.click('.chat-item:has-text("网格通")')
        else:
            await page.click('.chat-item:has-text("网格通")')
        await expect(page.locator("#chat-title")).to_have_text("网格通")
        await expect(page.locator(".rk-btn")).to_have_count(3)
        await page.screenshot(path=str(ARTIFACTS / f"sandbox-keyboard-{name}.png"))
        if name == "phone":
            await expect(page.locator("#sidebar")).to_be_hidden()
            await fits_width(page, ".rk-btn")
        # the picker and the live map fit too
        await page.click("#location-btn")
        await page.click("#map-canvas", position={"x": 150, "y": 120})
        await page.click("#map-live")
        await expect(page.locator("#live-modal")).to_be_visible()
        await page.screenshot(path=str(ARTIFACTS / f"sandbox-live-map-{name}.png"))
        if name == "phone":
            for selector in ("#live-canvas", "#live-stop", "#replay-btn", "#track-pick"):
                await fits_width(page, selector)
        await page.click("#live-stop")
        await expect(page.locator("#live-modal")).to_be_hidden()
        assert page.errors == []
        await page.close()


async def test_without_a_county_the_map_is_a_plain_coordinate_grid(browser):
    from playwright.async_api import expect

    from tgsandbox.server import start_sandbox

    plain = await start_sandbox(users=[{"tg_id": 100001, "name": "张桂兰", "started": True}])
    try:
        page = await open_page(browser, f"{plain.url}/?user=100001", PHONE)
        await page.click("#location-btn")
        await expect(page.locator("#map-hint")).to_have_text("未加载县区地图：点击坐标网格选点")
        await expect(page.locator("#map-canvas .graticule-label").first).to_contain_text("°")
        await page.click("#map-canvas", position={"x": 195, "y": 150})
        await page.click("#map-live")
        await page.click("#live-canvas", position={"x": 250, "y": 200})
        await expect(page.locator("#live-position")).to_contain_text("已移动 1 次")
        await page.screenshot(path=str(ARTIFACTS / "sandbox-live-plain-grid-phone.png"))
        async with plain.client() as client:
            messages = await client.messages(100001)
        assert messages[0]["location"]["live_period"] == 900 and "edit_date" in messages[0]
        assert abs(messages[0]["location"]["latitude"] - 30.27) < 0.05
        assert page.errors == []
    finally:
        await plain.close()
