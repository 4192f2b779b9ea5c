"""The web chat page keeps the newest message in view when the chat gets narrower or shorter
(a phone turned, its keyboard opening), as long as the person was reading the end of it."""

from __future__ import annotations

import pytest

from tgsandbox.server import SandboxHandle

pytestmark = pytest.mark.browser

MEMBER = 300012  # a unit member of the demo county (has pressed START)


@pytest.fixture
def sandbox(demo_sandbox: SandboxHandle) -> SandboxHandle:
    return demo_sandbox


async def test_the_last_message_stays_in_view_when_the_page_narrows(sandbox, bot, browser):
    from playwright.async_api import expect

    for i in range(12):
        await bot.send_message(MEMBER, f"第 {i} 条：" + "巡查记录，井盖、路灯、垃圾桶均已查看，情况正常。" * 4)
    page = await browser.new_page(viewport={"width": 1280, "height": 820})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{sandbox.url}/?user={MEMBER}")
    last = page.locator(".msg-row", has_text="第 11 条")
    await expect(last).to_be_in_viewport()
    await page.set_viewport_size({"width": 390, "height": 844})  # the text wraps: far taller
    await expect(last).to_be_in_viewport()
    await page.set_viewport_size({"width": 390, "height": 500})  # a keyboard opens
    await expect(last).to_be_in_viewport()

    # someone reading older messages is left where they are
    box = page.locator("#messages")
    await box.evaluate("el => { el.scrollTop = 0; }")
    await page.set_viewport_size({"width": 390, "height": 700})
    await page.wait_for_timeout(100)
    assert await box.evaluate("el => el.scrollTop") == 0
    await expect(last).not_to_be_in_viewport()
    assert errors == []
