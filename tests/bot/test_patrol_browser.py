"""A grid worker's patrol end to end in the sandbox's web chat page (headless Chromium), against
the real bot: 【🚶 开始巡查】, a live location shared from the page inside the worker's grid,
walked by clicks on the live map, stopped from the page; the summary and 【✅ 巡查无异常】.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from sqlalchemy import select

import texts
from dispatch.db.patrol_tables import PatrolPointRow, PatrolRow
from tests.bot.conftest import WORKER_WUFENG
from tests.bot.test_browser import ARTIFACTS
from tests.bot.test_browser import page as page  # noqa: F401  (the headless Chromium fixture)

pytestmark = pytest.mark.browser

GRID = "G-01-02-01-01"  # 五丰社区第1网格, one of the worker's grids; 五丰菜市场 is in it
MOVES = 3
STEP_PX = 6  # each click: this far north of the current pin (tens of metres on the county map)


async def _stored(app: Any) -> list[PatrolPointRow]:
    async with app.uow() as uow:
        return list(await uow.session.scalars(select(PatrolPointRow).order_by(PatrolPointRow.seq)))


async def _until_stored(app: Any, n: int) -> None:
    """The bot has stored `n` track points (each click is one edited_message, handled async)."""
    for _ in range(200):
        if len(await _stored(app)) >= n:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{n} track points expected, {len(await _stored(app))} stored")


async def _pin_tip(page: Any) -> tuple[float, float]:
    """Where the live map's pin points (its bottom centre), in page pixels."""
    box = await page.locator("#live-canvas svg g:has(.pin-shape)").last.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"]


async def test_a_patrol_in_the_web_chat(app, sandbox, page):
    from playwright.async_api import expect

    bot_said = page.locator(".msg-row:not(.out)")
    # 1. The grid worker opens the private chat and starts a patrol with the menu button.
    await page.goto(f"{sandbox.url}/?user={WORKER_WUFENG}")
    await expect(page.locator("#chat-title")).to_have_text("网格通")
    await page.fill("#composer-input", "/start")
    await page.press("#composer-input", "Enter")
    start_btn = page.locator(f".ikb-btn:has-text('{texts.PATROL_BUTTON_START}')").last
    await expect(start_btn).to_be_visible()
    await start_btn.click()
    await expect(bot_said.last).to_contain_text("共享实时位置")

    # 2. A live location from the page, at 五丰菜市场 (picked from the place list).
    await page.click("#location-btn")
    await expect(page.locator("#live-start")).to_be_visible()
    await page.fill("#place-search", "五丰菜市场")
    await page.click("#place-list li:has-text('五丰菜市场')")
    await expect(page.locator("#map-selection")).to_contain_text("五丰社区第1网格")
    await page.select_option("#live-period", "3600")
    await page.click("#map-live")
    await expect(page.locator("#live-modal")).to_be_visible()
    await expect(bot_said.filter(has_text="巡查已开始")).to_have_count(1)
    await _until_stored(app, 1)

    # 3. Walk north through the grid: one click on the live map a minute (the bot's clock).
    for i in range(1, MOVES + 1):
        app.clock.advance(seconds=60)
        x, y = await _pin_tip(page)
        await page.mouse.click(x, y - STEP_PX)
        await expect(page.locator("#live-position")).to_contain_text(f"已移动 {i} 次")
        await _until_stored(app, i + 1)
    app.clock.advance(seconds=60)
    await page.screenshot(path=str(ARTIFACTS / "patrol-page-live-map.png"))

    # 4. Stop sharing from the bar above the chat: the bot ends the patrol and sends the summary.
    await page.click("#live-close")
    await expect(page.locator("#live-bar")).to_contain_text("正在共享实时位置")
    await page.click("#live-bar-stop")
    await expect(page.locator("#toast")).to_have_text("已停止共享实时位置")
    summary = bot_said.filter(has_text="巡查小结")
    await expect(summary).to_have_count(1)
    async with app.uow() as uow:
        row = (await uow.session.scalars(select(PatrolRow))).one()
    assert row.tg_id == WORKER_WUFENG and row.ended_at is not None and row.end_reason == "stopped"
    await expect(summary).to_contain_text(texts.PATROL_ENDED_BY["stopped"])
    await expect(summary).to_contain_text(f"历时 {texts.PATROL_DURATION_MIN.format(m=MOVES + 1)}")
    assert row.distance_m > 100
    await expect(summary).to_contain_text(f"里程 {row.distance_m / 1000:.2f} 公里")
    assert row.inside_s > 0
    await expect(summary).to_contain_text("在本人网格内")
    text = await summary.inner_text()
    cover = re.search(r"「五丰社区第1网格」覆盖 (\d+)%", text)
    assert cover and int(cover.group(1)) > 0, text
    ok_btn = summary.locator(f".ikb-btn:has-text('{texts.PATROL_BUTTON_OK}')")
    await expect(ok_btn).to_have_count(1)
    await page.wait_for_timeout(800)  # let the new message's highlight fade
    await page.screenshot(path=str(ARTIFACTS / "patrol-page-desktop.png"))
    await page.set_viewport_size({"width": 390, "height": 844})
    await expect(ok_btn).to_be_in_viewport()  # the chat stays at its end when it narrows
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await page.screenshot(path=str(ARTIFACTS / "patrol-page-phone.png"))

    # 5. 巡查无异常: answered, the button goes, and it is recorded.
    await ok_btn.click()
    await expect(page.locator("#toast")).to_have_text(texts.PATROL_OK_DONE)
    await expect(bot_said.last).to_contain_text(texts.PATROL_OK_DONE)
    await expect(summary.locator(".ikb-btn")).to_have_count(0)

    # The database: the patrol ended with its track, every point where the page put it.
    async with app.uow() as uow:
        row = (await uow.session.scalars(select(PatrolRow))).one()
    assert (row.end_reason, row.ok, row.points) == ("stopped", True, MOVES + 1)
    points = await _stored(app)
    assert [p.patrol_id for p in points] == [row.id] * (MOVES + 1)
    assert [p.t for p in points] == [60 * i for i in range(MOVES + 1)]
    lats = [p.lat for p in points]
    assert lats == sorted(lats) and len(set(lats)) == MOVES + 1  # north at every click
    grid = app.registry.tree.get(GRID).geometry
    from shapely.geometry import Point

    assert all(grid.contains(Point(p.lon / 1e6, p.lat / 1e6)) for p in points)
    assert row.summary["coverage"][GRID] > 0
