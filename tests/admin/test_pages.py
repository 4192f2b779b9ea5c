"""Dashboard, assessment (same figures as `gridbot report`), map data, configuration, photos,
the CLI, and a small case-list benchmark."""

from __future__ import annotations

import io
import json
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from dispatch.service.assessment_report import Period, build_report
from dispatch.service.assessment_table import write_csv
from gridbot.bench.synthetic_cases import insert_cases
from tests.admin.conftest import csrf_of, logged_in
from tests.admin.test_browser import png


async def test_dashboard_shows_the_reports_figures(admin_app: Any, app: Any, users: Any, cases: Any) -> None:
    await insert_cases(app, 300, seed=11, days=20)
    report = await build_report(app.uow(), app.registry, Period.month("2026-11"), 3, now=app.clock.now())
    c = await logged_in(admin_app, "viewer")
    page = await c.get("/?month=2026-11&level=3")
    assert page.status_code == 200
    t = report.total
    for label, value in (("按期办结率", t.on_time_rate), ("返工率", t.rework_rate),
                         ("满意率", t.satisfaction_rate), ("主动发现率", t.proactive_rate)):
        shown = "—" if value is None else f"{value * 100:.1f}%"  # a rate without denominator is null
        assert label in page.text and shown in page.text, label
    assert f'<div class="stat-value">{t.reported}</div>' in page.text
    for f in report.unit_top + report.grid_top + report.unit_bottom:
        assert f.name in page.text
    assert "<svg class=\"chart\"" in page.text and "前三" in page.text and "后三" in page.text
    data = (await c.get("/api/map.json?month=2026-11")).json()
    counts = {f["properties"]["id"]: f["properties"]["count"] for f in data["grids"]["features"]}
    assert counts["G-01"] == t.reported - 1  # every located case; the triage one has no grid
    assert all(len(p) == 6 for p in data["cases"]) and data["cases"]
    await c.aclose()


async def test_assessment_exports_match_gridbot_report(admin_app: Any, app: Any, users: Any,
                                                       cases: Any) -> None:
    await insert_cases(app, 200, seed=5, days=10)
    report = await build_report(app.uow(), app.registry, Period.month("2026-11"), 2, now=app.clock.now())
    expected = io.StringIO()
    write_csv(report, expected)
    c = await logged_in(admin_app, "viewer")
    page = await c.get("/assessment?month=2026-11&level=2")
    assert "考核报表 2026-11" in page.text and "城关街道" in page.text
    r = await c.get("/assessment/export.csv?month=2026-11&level=2")
    assert r.content.decode("utf-8-sig") == expected.getvalue()
    r = await c.get("/assessment/export.xlsx?month=2026-11&level=2")
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["总体", "责任单位", "网格", "前三后三", "网格员积分"]
    total = list(wb["总体"].values)
    assert total[0][:3] == ("对象", "上报数", "主动发现率") and total[1][1] == report.total.reported
    assert abs(total[1][5] - report.total.on_time_rate) < 1e-9
    assert len(list(wb["网格"].values)) == len(report.grids) + 1
    await c.aclose()


async def test_assessment_for_a_week_a_quarter_and_a_year(admin_app: Any, app: Any, users: Any,
                                                           cases: Any) -> None:
    """The page and its XLSX for any period `gridbot report` takes, with the quarter's and the
    year's labels; a period it cannot read is said, and the month shown."""
    await insert_cases(app, 120, seed=7, days=10)
    c = await logged_in(admin_app, "viewer")
    quarter = await build_report(app.uow(), app.registry, Period.quarter("2026-Q4"), 3, now=app.clock.now())
    page = await c.get("/assessment?period=2026-Q4&level=3")
    assert "考核报表 2026-Q4" in page.text and 'id="assess-labels"' in page.text and "奔牛" in page.text
    names = {f.subject: f.name for f in quarter.grids}
    assert all(names[g] in page.text for g in quarter.labels["grids"]["bull"])
    r = await c.get("/assessment/export.xlsx?period=2026-Q4&level=3")
    total = list(openpyxl.load_workbook(io.BytesIO(r.content))["总体"].values)
    assert total[1][1] == quarter.total.reported
    week = await build_report(app.uow(), app.registry, Period.week("2026-W48"), 3, now=app.clock.now())
    page = await c.get("/assessment?period=2026-w48")
    assert "考核报表 2026-W48" in page.text and f">{week.total.reported}<" in page.text
    page = await c.get("/assessment?period=2026")
    assert "考核报表 2026<" in page.text and "十佳网格" in page.text
    page = await c.get("/assessment?period=2026-13")
    assert 'id="assess-period-bad"' in page.text and "2026-13" in page.text
    await c.aclose()


async def test_configuration_pages(admin_app: Any, app: Any, users: Any) -> None:
    c = await logged_in(admin_app, "admin")
    for path, needle in (("/config/grids", "解放社区第4网格"), ("/config/units", "城关执法中队"),
                         ("/config/members", "张桂兰"), ("/config/categories", "占道经营"),
                         ("/config/invites", "生成邀请码")):
        page = await c.get(path)
        assert page.status_code == 200 and needle in page.text, path
    geo = (await c.get("/config/grids.json")).json()
    assert len(geo["features"]) == len(app.registry.tree)
    page = await c.get("/config/invites")
    r = await c.post("/config/invites", data={"purpose": "grid_worker", "target_grid": "G-01-01-01-04",
                                              "target_unit": "hw-chengqu", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    page = await c.get("/config/invites")
    assert "已生成邀请码" in page.text and "/start " in page.text and "解放社区第4网格" in page.text
    await c.aclose()


class Photos:
    async def fetch(self, file_id: str) -> tuple[bytes, str] | None:
        return (png(4, 3, (1, 2, 3)), "image/png") if file_id == "AgACgood" else None


async def test_photos_through_the_bot_or_a_placeholder(app: Any, users: Any) -> None:
    from admin.app import create_admin_app

    api = create_admin_app(app, photos=Photos())
    c = await logged_in(api, "viewer")
    r = await c.get("/photos/AgACgood")
    assert r.headers["content-type"] == "image/png" and r.content.startswith(b"\x89PNG")
    r = await c.get("/photos/<b>gone&amp;")
    assert r.headers["content-type"] == "image/svg+xml"
    assert b"&lt;b&gt;gone&amp;amp;" in r.content and b"<b>" not in r.content
    await c.aclose()


async def test_bot_api_photo_source_uses_getfile(tmp_path: Any) -> None:
    import httpx

    from admin.photos import BotApiPhotos

    image = png(2, 2, (9, 9, 9))

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/botTOKEN/getFile":
            ok = request.url.params["file_id"] == "AgACx"
            return httpx.Response(200, json={"ok": ok, "result": {"file_path": "photos/x.jpg", "file_size": 9}})
        assert request.url.path == "/file/botTOKEN/photos/x.jpg"
        return httpx.Response(200, content=image)

    transport = httpx.MockTransport(handler)
    real = httpx.AsyncClient

    class Client(real):  # type: ignore[misc,valid-type]
        def __init__(self, **kw: Any) -> None:
            super().__init__(transport=transport, **kw)

    source = BotApiPhotos("http://bot.test", "TOKEN", tmp_path)
    httpx.AsyncClient = Client  # type: ignore[misc]
    try:
        assert await source.fetch("AgACx") == (image, "image/png")
        assert await source.fetch("nope") is None
    finally:
        httpx.AsyncClient = real  # type: ignore[misc]
    assert await source.fetch("AgACx") == (image, "image/png")  # from the disk cache


def test_cli_create_user(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from gridbot.cli import app as cli

    monkeypatch.setenv("GRIDBOT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("GRIDBOT_DATABASE_URL", raising=False)
    runner = CliRunner()
    r = runner.invoke(cli, ["admin", "create-user", "chief", "--role", "admin", "--name", "值班主任"],
                      input="long password 1\nlong password 1\n")
    assert r.exit_code == 0, r.output
    assert "created console user chief (admin, acts as member #1 in the role admin)" in r.output
    r = runner.invoke(cli, ["admin", "create-user", "chief", "--password", "another one 1"])
    assert r.exit_code == 1 and "已存在" in r.output
    r = runner.invoke(cli, ["admin", "create-user", "x", "--role", "boss", "--password", "long enough"])
    assert r.exit_code == 1 and "unknown role" in r.output
    r = runner.invoke(cli, ["admin", "set-password", "chief", "--password", "a new password"])
    assert r.exit_code == 0 and "password of chief changed" in r.output


async def test_case_list_benchmark_small() -> None:
    """The 100,000-case run is `gridbot bench admin`; this keeps the machinery honest."""
    from gridbot.bench.admin import print_result, run_bench

    result = await run_bench(3000, rounds=3)
    print(print_result(result))
    assert result["cases"] == 3000 and result["ok"], json.dumps(result, ensure_ascii=False)
