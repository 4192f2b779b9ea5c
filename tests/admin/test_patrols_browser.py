"""日督导 in Chromium: the live map shows the worker on patrol; a patrol's page draws its track
on the grid map and plays it back; no script errors."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.admin.conftest import PASSWORD
from tests.admin.test_browser import ARGS, CHROMIUM, free_port

pytestmark = pytest.mark.browser
WORKER = 200006


async def test_daily_watch_in_chromium(app: Any, users: Any) -> None:
    from playwright.async_api import async_playwright

    from admin.app import create_admin_app, make_server

    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    home = app.registry.tree.get("G-01-02-01-01").geometry.representative_point()
    await app.patrols.start(WORKER, 1, home.y, home.x, 3600, app.clock.now())
    for i in range(1, 6):
        app.clock.advance(minutes=2)
        await app.patrols.update(WORKER, 1, home.y + 0.0005 * i, home.x, True, app.clock.now())
    port = free_port()
    server = make_server(create_admin_app(app), "127.0.0.1", port, log_level="warning")
    serving = asyncio.create_task(server.serve())
    for _ in range(100):
        if server.started:
            break
        await asyncio.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(f"{base}/patrols")
            await page.fill("input[name=username]", "dispatcher")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{base}/patrols")
            await page.wait_for_selector("#map[data-ready='1']")
            assert await page.get_attribute("#map", "data-live") == "1"
            assert await page.locator(".leaflet-tooltip", has_text="邱春梅").count() == 1
            await page.click("#patrols-now table a")
            await page.wait_for_url(f"{base}/patrols/*")
            await page.wait_for_selector("#map[data-ready='1']")
            assert await page.get_attribute("#map", "data-tracks") == "1"
            assert await page.locator("path.leaflet-interactive").count() > 10  # grids and the track
            await page.click("#play")
            await page.wait_for_selector("#map[data-played='6']", timeout=10_000)
            assert errors == []
            await browser.close()
    finally:
        server.should_exit = True
        await serving
