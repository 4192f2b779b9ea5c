"""新建案件 in a real headless Chromium, at desktop and phone width: the suggestion fills the
category as the text is typed, a click on the map sets the pin, a photo is uploaded, and the
case page shows where the case stands. Screenshots go to test-artifacts/admin/."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.admin.conftest import MARKET, PASSWORD
from tests.admin.test_browser import ARGS, ARTIFACTS, CHROMIUM, free_port, png

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("width", "height", "tag"), [(1440, 1000, "desktop"), (390, 844, "phone")])
async def test_intake_in_chromium(app: Any, users: Any, tmp_path: Path, width: int, height: int,
                                  tag: str) -> None:
    from playwright.async_api import async_playwright

    from admin.app import create_admin_app, make_server
    from nlu.api import load_model

    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    photo = tmp_path / "scene.png"
    photo.write_bytes(png(160, 120, (200, 120, 60)))
    model = load_model()
    model.add_places(app.registry.gazetteer.all_names())
    port = free_port()
    server = make_server(create_admin_app(app, use_bot_photos=False, classifier=model), "127.0.0.1", port,
                         log_level="warning")
    serving = asyncio.create_task(server.serve())
    for _ in range(100):
        if server.started:
            break
        await asyncio.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = await browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            await page.goto(f"{base}/login?next=/intake")
            await page.fill("input[name=username]", "dispatcher")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{base}/intake")
            await page.wait_for_selector("#pin-map[data-ready='1']", state="attached")

            await page.fill("textarea[name=text]", "解放路菜市场门口天天有人摆摊卖菜，堵住了路")
            await page.wait_for_selector("#intake-form[data-suggested]", state="attached")
            assert await page.input_value("select[name=category]") == "street_vending"
            assert "系统建议" in await page.inner_text("#suggest-hint")

            await page.locator("#pin-map").scroll_into_view_if_needed()
            box = await page.locator("#pin-map").bounding_box()
            assert box is not None
            await page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            assert await page.input_value("input[name=lat]") and await page.input_value("input[name=lon]")
            assert await page.locator("#pin-map .leaflet-marker-icon").count() == 1
            await page.fill("input[name=lat]", str(MARKET[0]))
            await page.fill("input[name=lon]", str(MARKET[1]))
            await page.dispatch_event("input[name=lon]", "change")
            await page.select_option("select[name=source]", "phone")
            await page.fill("input[name=caller_name]", "王先生")
            await page.fill("input[name=caller_phone]", "13700001111")
            await page.set_input_files("input[name=photos]", str(photo))
            await page.screenshot(path=str(ARTIFACTS / f"10-intake-{tag}.png"), full_page=True)
            width_used = await page.evaluate("document.documentElement.scrollWidth")
            assert width_used <= width, f"the form is wider than the screen ({width_used} > {width})"

            await page.click("#intake-submit")
            await page.wait_for_url(f"{base}/cases/*")
            flash = await page.inner_text(".flash-ok")
            assert "已登记" in flash and "城关执法中队" in flash
            assert "13700001111" in await page.inner_text("#case-caller")
            sizes = await page.eval_on_selector_all(".photos img", "els => els.map(e => [e.complete, e.naturalWidth])")
            assert sizes == [[True, 160]]
            await page.screenshot(path=str(ARTIFACTS / f"11-intake-case-{tag}.png"), full_page=True)
            assert errors == []
            await browser.close()
    finally:
        server.should_exit = True
        await serving
