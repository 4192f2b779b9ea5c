"""Every console page at desktop (1280 px) and phone (390 px) width in headless Chromium: at phone
width nothing makes the page wider than the screen (tables scroll in their card), the menu folds
behind one button; the case page's map draws the point and the grid without tiles; the triage
queue asks before sending a case back to the unit that returned it. Screenshots of every page at
both widths: test-artifacts/admin/widths/."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from dispatch.service.cases import ReportDraft
from gridbot.bench.synthetic_cases import insert_cases
from tests.admin.conftest import MARKET, PASSWORD
from tests.admin.test_browser import ARGS, CHROMIUM, FakePhotos, add_transcript, free_port
from tests.conftest import tg_actor, tg_member

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "admin" / "widths"
WIDTHS = {"desktop": 1280, "phone": 390}
# Elements reaching past the screen's right edge that are not inside something that scrolls
# sideways or clips (a table in its scrolling card, a map's panes).
OVERFLOW_JS = """() => {
  const w = document.documentElement.clientWidth;
  const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p); if (['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX) && p !== document.body
        && p !== document.documentElement) return true; } return false; };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > w + 1 && !scrolls(el) && getComputedStyle(el).position !== 'fixed')
      bad.push(el.tagName + '.' + el.getAttribute('class') + '#' + el.id + ' ' + Math.round(r.right));
  }
  return {scroll: document.documentElement.scrollWidth, width: w, bad: bad.slice(0, 8)};
}"""


async def pages(app: Any) -> dict[str, str]:
    await insert_cases(app, 120, seed=3, days=20)
    case = await app.service.submit_report(ReportDraft(
        text="解放路菜市场门口天天有人摆摊卖菜，堵得走不动路", reporter_id=await tg_member(app, 100001),
        category="street_vending", lat=MARKET[0], lon=MARKET[1], photos=["AgACphoto-market-1"],
        address="解放路菜市场"))
    await add_transcript(app, case)
    returned = await app.service.submit_report(ReportDraft(
        text="市场东门有流动摊贩占道", reporter_id=await tg_member(app, 100002), category="street_vending",
        lat=MARKET[0] + 0.0004, lon=MARKET[1] + 0.0004))
    async with app.uow() as uow:
        member = next(m for m in await uow.members.all() if "zf-chengguan" in m.units)
    await app.service.return_case(returned.id, await tg_actor(app, member.tg_id, "unit_member"), "不归执法队")
    return {
        "dashboard": "/", "cases": "/cases", "case": f"/cases/{case.id}", "triage": "/triage",
        "assessment": "/assessment", "deliveries": "/deliveries", "hotline": "/hotline", "intake": "/intake",
        "grids": "/config/grids", "units": "/config/units", "unit": "/config/units/zf-chengguan",
        "members": "/config/members", "member": f"/config/members/{member.id}", "invites": "/config/invites",
        "categories": "/config/categories", "users": "/config/users", "policy": "/config/policy",
        "audit": "/config/audit", "returned": str(returned.id), "case_id": str(case.id),
    }


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
async def test_every_page_at_desktop_and_phone_width(app: Any, users: Any, clock: Any) -> None:
    from playwright.async_api import async_playwright

    from admin.app import create_admin_app, make_server

    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    paths = await pages(app)
    returned, case_id = paths.pop("returned"), paths.pop("case_id")
    port = free_port()
    server = make_server(create_admin_app(app, photos=FakePhotos()), "127.0.0.1", port, log_level="warning")
    serving = asyncio.create_task(server.serve())
    for _ in range(100):
        if server.started:
            break
        await asyncio.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    problems: dict[str, Any] = {}
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for label, width in WIDTHS.items():
                context = await browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
                page = await context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e, seen=errors: seen.append(str(e)))
                await page.goto(f"{base}/cases")
                await page.fill("input[name=username]", "admin")
                await page.fill("input[name=password]", PASSWORD)
                await page.click("button[type=submit]")
                await page.wait_for_url(f"{base}/cases")
                for name, path in paths.items():
                    await page.goto(base + path)
                    if name in ("dashboard", "grids"):
                        await page.wait_for_selector("#map[data-ready]", state="attached")
                    if name == "case":
                        await page.wait_for_selector("#case-map[data-ready='1']", state="attached")
                        # no tiles: the grid polygon and the point are the map
                        assert await page.locator("#case-map .leaflet-interactive").count() >= 2
                        assert await page.locator("#case-map img.leaflet-tile").count() == 0
                    await page.screenshot(path=str(ARTIFACTS / f"{label}-{name}.png"), full_page=True)
                    result = await page.evaluate(OVERFLOW_JS)
                    if result["scroll"] > result["width"] + 1 or result["bad"]:
                        problems[f"{label} {name}"] = result
                    nav = page.locator("#mainnav")
                    if label == "phone":  # folded behind the button; the button opens it
                        assert not await nav.is_visible(), name
                        await page.click("#navtoggle")
                        assert await nav.is_visible() and await page.locator("#mainnav a[href='/cases']").is_visible()
                        if name == "cases":
                            await page.screenshot(path=str(ARTIFACTS / "phone-menu-open.png"))
                    else:
                        assert await nav.is_visible() and not await page.locator("#navtoggle").is_visible()
                assert errors == [], errors
                if label == "phone":
                    await _triage_asks_first(page, base, returned)
                await context.close()
            await browser.close()
    finally:
        server.should_exit = True
        await serving
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
    assert case_id


async def _triage_asks_first(page: Any, base: str, case_id: str) -> None:
    """Choosing the unit that returned the case: a dialog; dismissed, nothing is sent."""
    dialogs: list[str] = []

    async def answer(dialog: Any) -> None:
        dialogs.append(dialog.message)
        await (dialog.accept() if len(dialogs) > 1 else dialog.dismiss())

    page.on("dialog", lambda d: asyncio.ensure_future(answer(d)))
    await page.goto(f"{base}/triage")
    form = page.locator(f"form[action='/cases/{case_id}/reassign']")
    assert "退回" in await page.locator("table.triage").inner_text()
    await form.locator("select[name=unit_id]").select_option("zf-chengguan")
    await form.locator("button[type=submit]").click()
    await page.wait_for_timeout(300)
    assert len(dialogs) == 1 and "刚被「" in dialogs[0] and page.url.endswith("/triage")
    await page.screenshot(path=str(ARTIFACTS / "phone-triage-warning.png"), full_page=True)
    await form.locator("button[type=submit]").click()  # accepted this time: it goes, confirmed
    await page.wait_for_selector(".flash-ok")
    assert "已派遣至" in await page.locator(".flash-ok").inner_text()
