"""The console in a real headless Chromium: log in, filter, open a case with its transcript,
reassign it, export CSV — and a <script> in a report never runs. Screenshots go to
test-artifacts/admin/."""

from __future__ import annotations

import asyncio
import socket
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from dispatch.service.cases import ReportDraft
from gridbot.bench.synthetic_cases import insert_cases
from tests.admin.conftest import MARKET, PASSWORD
from tests.conftest import tg_member

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "admin"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
XSS = '<script>window.__pwned = 1; alert("xss")</script><img src=x onerror="window.__pwned=2">'


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG with a darker band: enough to see a thumbnail is a real image."""
    rows = []
    for y in range(height):
        colour = bytes(c // 2 for c in rgb) if height // 3 < y < height // 2 else bytes(rgb)
        rows.append(b"\x00" + colour * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


class FakePhotos:
    """Stands in for the Bot API: ids starting with AgAC are photos, anything else is gone."""

    async def fetch(self, file_id: str) -> tuple[bytes, str] | None:
        if not file_id.startswith("AgAC"):
            return None
        return png(160, 120, (90, 140, 190) if "result" not in file_id else (80, 170, 110)), "image/png"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def add_transcript(app: Any, case: Any) -> None:
    t = app.clock.now()
    rows = [
        dict(direction="in", kind="text", user_id=100001, text="解放路菜市场门口天天有人摆摊卖菜，堵得走不动路"),
        dict(direction="out", kind="text", user_id=None, text="📍 问题在哪里？请点下方【发送当前位置】",
             payload={"buttons": [[["📍 发送当前位置", ""]], [["跳过", ""]]]}),
        dict(direction="in", kind="location", user_id=100001, payload={"lat": MARKET[0], "lon": MARKET[1]}),
        dict(direction="in", kind="photo", user_id=100001, file_ids=["AgACphoto-market-1"]),
        dict(direction="in", kind="photo", user_id=100001, file_ids=["BQACgone-document"]),
        dict(direction="in", kind="callback", user_id=100001, text="d:ok:775892462"),
        dict(direction="out", kind="text", user_id=None, text=f"✅ 已受理，案件编号 {case.number}"),
        dict(direction="in", kind="text", user_id=100001, text=XSS),
    ]
    async with app.uow() as uow:
        for r in rows:
            await uow.messages.add(case_id=case.id, chat_id=100001, at=t, **{
                "file_ids": [], "payload": {}, "text": "", **r})
        await uow.commit()


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
async def test_console_in_chromium(app: Any, users: Any, clock: Any) -> None:
    from playwright.async_api import async_playwright

    from admin.app import create_admin_app, make_server

    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await insert_cases(app, 600, seed=7, days=22)
    case = await app.service.submit_report(ReportDraft(
        text=f"解放路菜市场门口天天有人摆摊卖菜，堵得走不动路 {XSS}", reporter_id=await tg_member(app, 100001),
        category="street_vending", lat=MARKET[0], lon=MARKET[1], photos=["AgACphoto-market-1"],
        confidence=0.93, address="解放路菜市场"))
    await add_transcript(app, case)
    await app.service.submit_report(ReportDraft(text="河边的护栏断了一截", reporter_id=await tg_member(app, 100002),
                                                category="street_vending", address="不知道哪里"))

    port = free_port()
    server = make_server(create_admin_app(app, photos=FakePhotos()), "127.0.0.1", port, log_level="warning")
    serving = asyncio.create_task(server.serve())
    for _ in range(100):
        if server.started:
            break
        await asyncio.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    dialogs: list[str] = []
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = await browser.new_context(viewport={"width": 1440, "height": 1000},
                                                accept_downloads=True, locale="zh-CN")
            page = await context.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), asyncio.ensure_future(d.dismiss())))
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

            # -- log in ---------------------------------------------------------------------
            await page.goto(f"{base}/cases")
            assert "/login" in page.url
            await page.screenshot(path=str(ARTIFACTS / "01-login.png"))
            await page.fill("input[name=username]", "dispatcher")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{base}/cases")

            # -- filter: the community of the market, dispatched cases only ---------------------
            await page.select_option("select[name=grid]", "G-01-01-01")
            await page.select_option("select[name=status]", "dispatched")
            await page.click("#filters button[type=submit]")
            await page.wait_for_url("**/cases?*grid=G-01-01-01*")
            rows = page.locator("#case-table tbody tr")
            assert await rows.count() >= 1
            assert await page.locator(f"text={case.number}").count() == 1
            for status in await page.locator("#case-table tbody .status").all_inner_texts():
                assert status == "已派遣"
            await page.screenshot(path=str(ARTIFACTS / "02-cases-filtered.png"), full_page=True)

            # -- the case: description, photos, transcript ----------------------------------------
            await page.click(f"text={case.number}")
            await page.wait_for_url(f"{base}/cases/{case.id}")
            transcript = page.locator("#transcript")
            await transcript.locator("text=堵得走不动路").first.wait_for()
            assert await transcript.locator(".msg").count() == 8
            said = await transcript.inner_text()
            assert "按下「✅ 提交」" in said and "d:ok:" not in said and "发送当前位置" in said
            # the real photo loaded as an image, the missing one as a placeholder
            sizes = await page.eval_on_selector_all(
                "#transcript img.thumb", "els => els.map(e => [e.complete, e.naturalWidth])")
            assert sizes == [[True, 160], [True, 240]]
            # the <script> the resident typed is text, never a script
            assert XSS in await page.locator("#case-description").inner_text()
            assert await page.evaluate("window.__pwned") is None
            scripts = await page.eval_on_selector_all("script", "els => els.map(e => e.getAttribute('src'))")
            assert all(s and s.startswith("/static/") for s in scripts)
            await page.screenshot(path=str(ARTIFACTS / "03-case.png"), full_page=True)

            # -- reassign it --------------------------------------------------------------------
            await page.select_option("#form-reassign select[name=unit_id]", "sj-chengguan")
            await page.fill("#form-reassign input[name=note]", "占用的是人行道上的市场外摆，转市场监管")
            await page.click("#form-reassign button[type=submit]")
            await page.wait_for_url(f"{base}/cases/{case.id}")
            flash = page.locator(".flash-ok")
            await flash.wait_for()
            assert "已派遣至" in await flash.inner_text()
            assert "改派" in await page.locator("#timeline").inner_text()
            assert "占用的是人行道上的市场外摆" in await page.locator("#timeline").inner_text()
            await page.screenshot(path=str(ARTIFACTS / "04-case-reassigned.png"), full_page=True)

            # -- export the filtered list as CSV ---------------------------------------------------
            await page.goto(f"{base}/cases?grid=G-01-01")
            async with page.expect_download() as info:
                await page.click("#export-csv")
            download = await info.value
            text = Path(await download.path()).read_text("utf-8-sig")
            assert text.startswith("编号,上报时间,类别") and case.number in text
            assert all(line.split(",")[5].startswith("青禾县 / 城关") for line in text.splitlines()[1:] if line)

            # -- the other pages look right too -------------------------------------------------
            await page.goto(f"{base}/")
            await page.wait_for_selector("#map[data-ready]", state="attached")
            assert await page.get_attribute("#map", "data-ready") == "1", (await page.get_attribute("#map", "data-error"), errors)
            assert await page.locator(".leaflet-interactive").count() > 40
            await page.screenshot(path=str(ARTIFACTS / "05-dashboard.png"), full_page=True)
            await page.goto(f"{base}/triage")
            await page.screenshot(path=str(ARTIFACTS / "06-triage.png"), full_page=True)
            await page.goto(f"{base}/assessment")
            await page.screenshot(path=str(ARTIFACTS / "07-assessment.png"), full_page=True)
            await page.goto(f"{base}/config/grids")
            await page.wait_for_selector("#map[data-ready='1']", state="attached")
            await page.screenshot(path=str(ARTIFACTS / "08-config-grids.png"))
            await page.goto(f"{base}/config/units")
            await page.screenshot(path=str(ARTIFACTS / "09-config-units.png"))
            assert dialogs == [] and errors == []
            await browser.close()
    finally:
        server.should_exit = True
        await serving
