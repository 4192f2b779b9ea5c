"""A person uses the sandbox web chat in headless Chromium, against the real bot, from a
resident's report to a resolved and rated case. Screenshots go to test-artifacts/."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.bot.conftest import CHENGXI_GROUP, RESIDENT, UNIT_CHENGXI
from tests.bot.helpers import case_row, number_in
from tests.sandbox.images import street_scene

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
async def page(runtime: Any) -> AsyncIterator[Any]:
    if not shutil.which(CHROMIUM):
        pytest.skip("needs Debian's chromium")
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 860})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            yield page
        finally:
            await browser.close()
        assert errors == []


def _photos(*seeds: int) -> list[dict[str, Any]]:
    return [{"name": f"scene{s}.png", "mimeType": "image/png", "buffer": street_scene(seed=s)} for s in seeds]


async def _shot(page: Any, name: str) -> None:
    await page.wait_for_timeout(800)  # let edit highlights fade
    await page.screenshot(path=str(ARTIFACTS / name))


async def test_resident_to_resolved_case_in_the_web_chat(app, sandbox, page):
    from playwright.async_api import expect

    bot_said = page.locator(".msg-row:not(.out)")
    # 1. The resident starts the bot and reports.
    await page.goto(f"{sandbox.url}/?user={RESIDENT}")
    await expect(page.locator("#chat-title")).to_have_text("网格通")
    await page.click("#start-btn")
    await expect(bot_said.last).to_contain_text("随手拍")
    await page.fill("#composer-input", "五丰菜市场门口有人占道摆摊，人都走不过去")
    await page.press("#composer-input", "Enter")
    await expect(bot_said.last).to_contain_text("识别到地点「五丰菜市场」")
    await page.click("#reply-keyboard .rk-btn:has-text('就在五丰菜市场')")
    await expect(bot_said.last).to_contain_text("现场照片")
    await page.set_input_files("#photo-input", files=_photos(1, 4))
    await expect(bot_said.last).to_contain_text("已收到照片（共 2 张）")
    await page.click("#reply-keyboard .rk-btn:has-text('完成')")
    await expect(bot_said.last).to_contain_text("请核对您要上报的问题")
    await expect(bot_said.last.locator(".ikb-btn")).to_have_count(3)
    await _shot(page, "bot-1-resident-summary.png")
    await page.click(".ikb-btn:has-text('提交')")
    await expect(bot_said.last).to_contain_text("已受理")
    number = number_in(await bot_said.last.inner_text())
    await _shot(page, "bot-2-resident-submitted.png")

    # 2. A member of 城西执法中队 takes the card in the unit's group, in place.
    await page.goto(f"{sandbox.url}/?user={UNIT_CHENGXI}&chat={CHENGXI_GROUP}")
    card = page.locator(".msg-row", has_text=number).filter(has=page.locator(".ikb-btn")).last
    await expect(card).to_contain_text("五丰社区第1网格")
    await card.locator(".ikb-btn:has-text('接单')").click()
    await expect(card).to_contain_text("处置中")
    await expect(card).to_contain_text("王强")
    await _shot(page, "bot-3-unit-group-accepted.png")
    await card.locator(".ikb-btn:has-text('办结')").click()
    await expect(page.locator("#toast")).to_contain_text("私聊")

    # 3. ...and finishes it in the private chat with a result photo and a note.
    await page.goto(f"{sandbox.url}/?user={UNIT_CHENGXI}")
    await expect(bot_said.last).to_contain_text("处置后的现场照片")
    await page.set_input_files("#photo-input", files=_photos(7))
    await expect(bot_said.last).to_contain_text("说明处置情况")
    await page.fill("#composer-input", "摊贩已劝离，占道物品已清走")
    await page.press("#composer-input", "Enter")
    await expect(bot_said.last).to_contain_text("已办结")
    await _shot(page, "bot-4-unit-member-resolved.png")

    # 4. The resident sees the result photo and rates.
    await page.goto(f"{sandbox.url}/?user={RESIDENT}")
    await expect(page.locator(".msg-row:not(.out)", has_text="已处置完毕")).to_have_count(1)
    await page.click(".ikb-btn:has-text('解决了') >> nth=0")
    await page.click(".ikb-btn:has-text('满意') >> nth=0")
    await expect(page.locator("#toast")).to_contain_text("感谢")
    await expect(page.locator(".msg-row", has_text="已评价：满意")).to_have_count(1)
    await _shot(page, "bot-5-resident-rated.png")

    row = await case_row(app, number)
    assert row.status == "resolved" and row.rating == "satisfied"  # 核查 by the grid worker closes it
