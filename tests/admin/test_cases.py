"""The case list, one case, and the actions through the same commands as the bot."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import openpyxl
from sqlalchemy import select

from admin import queries
from dispatch.db.orm import CaseEventRow, NluCorrectionRow
from dispatch.service.cases import ReportDraft
from tests.admin.conftest import MARKET, csrf_of, logged_in
from tests.conftest import tg_member

FLASH_RE = re.compile(r'class="flash flash-(\w+)" role="status">([^<]*)<')
XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


def flashes(html: str) -> list[tuple[str, str]]:
    return FLASH_RE.findall(html)


async def events(app: Any, case_id: int) -> list[CaseEventRow]:
    async with app.uow() as uow:
        return await uow.cases.events(case_id)


async def test_reassign_goes_through_the_command_and_lands_in_the_timeline(
        admin_app: Any, app: Any, users: Any, cases: Any) -> None:
    c = await logged_in(admin_app, "dispatcher")
    case = cases["dispatched"]
    page = await c.get(f"/cases/{case.id}")
    r = await c.post(f"/cases/{case.id}/reassign", data={
        "unit_id": "hw-chengqu", "note": "属于环卫", "category": "garbage", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{case.id}"
    page = await c.get(f"/cases/{case.id}")
    assert flashes(page.text) == [("ok", f"案件 {case.number} 已派遣至「城区环卫所」，时限 11-23 13:00。")]
    assert flashes((await c.get(f"/cases/{case.id}")).text) == []  # shown once
    ev = await events(app, case.id)
    assert [e.action for e in ev][-2:] == ["recategorised", "reassigned"]
    last = ev[-1]
    assert last.channel == "admin" and last.actor_role == "dispatcher"
    assert last.actor_id == users["dispatcher"].member_id and last.note == "属于环卫"
    assert "dispatcher-用户" in page.text and "管理后台" in page.text  # who and through what
    async with app.uow() as uow:
        corrections = (await uow.session.scalars(select(NluCorrectionRow))).all()
    assert [(x.predicted, x.category, x.case_id) for x in corrections] == [("street_vending", "garbage", case.id)]
    await c.aclose()


async def test_domain_errors_are_flash_messages_not_500s(admin_app: Any, app: Any, users: Any,
                                                         cases: Any) -> None:
    c = await logged_in(admin_app, "dispatcher")
    triage = cases["triage"]
    token = csrf_of((await c.get(f"/cases/{triage.id}")).text)
    r = await c.post(f"/cases/{triage.id}/extend", data={"hours": "8", "reason": "等材料", "csrf_token": token})
    assert r.status_code == 303
    kind, message = flashes((await c.get(f"/cases/{triage.id}")).text)[0]
    assert kind == "error" and "待分拨" in message
    for data in ({"hours": "abc", "reason": "x"}, {"hours": "-3", "reason": "x"}, {"hours": "5", "reason": " "}):
        await c.post(f"/cases/{cases['dispatched'].id}/extend", data={**data, "csrf_token": token})
        assert flashes((await c.get(f"/cases/{cases['dispatched'].id}")).text)[0][0] == "error"
    await c.post(f"/cases/{triage.id}/cancel", data={"reason": "", "csrf_token": token})
    assert flashes((await c.get(f"/cases/{triage.id}")).text) == [("error", "操作未完成：请填写原因。")]
    await c.post(f"/cases/{triage.id}/reassign", data={"unit_id": "nope", "csrf_token": token})
    assert "未知的责任单位" in flashes((await c.get(f"/cases/{triage.id}")).text)[0][1]
    assert (await c.get("/cases/999999")).status_code == 404
    await c.aclose()


async def test_extend_and_cancel(admin_app: Any, app: Any, users: Any, cases: Any) -> None:
    c = await logged_in(admin_app, "admin")
    case = cases["dispatched"]
    token = csrf_of((await c.get(f"/cases/{case.id}")).text)
    await c.post(f"/cases/{case.id}/extend", data={"hours": "24", "reason": "需协调", "csrf_token": token})
    async with app.uow() as uow:
        extended = await uow.cases.get(case.id)
    assert extended.due_at == case.due_at + timedelta(hours=24) and extended.extension_count == 1
    await c.post(f"/cases/{case.id}/cancel", data={"reason": "重复上报", "csrf_token": token})
    ev = await events(app, case.id)
    assert (ev[-1].action, ev[-1].note, ev[-1].channel) == ("cancelled", "重复上报", "admin")
    page = await c.get(f"/cases/{case.id}")
    assert "已作废" in page.text and 'id="form-cancel"' not in page.text
    await c.aclose()


async def test_triage_queue_dispatches(admin_app: Any, app: Any, users: Any, cases: Any) -> None:
    c = await logged_in(admin_app, "dispatcher")
    page = await c.get("/triage")
    triage = cases["triage"]
    assert triage.number in page.text and cases["dispatched"].number not in page.text
    r = await c.post(f"/cases/{triage.id}/reassign", data={
        "unit_id": "sz-county", "back": "triage", "csrf_token": csrf_of(page.text)})
    assert r.headers["location"] == "/triage"
    page = await c.get("/triage")
    assert "待分拨队列为空" in page.text and flashes(page.text)[0][0] == "ok"
    await c.aclose()


async def test_script_in_a_report_stays_inert(admin_app: Any, app: Any, users: Any) -> None:
    case = await app.service.submit_report(ReportDraft(
        text=f"门口有人摆摊{XSS}", reporter_id=await tg_member(app, 100001), category="street_vending",
        address=f"解放路{XSS}", lat=MARKET[0], lon=MARKET[1]))
    async with app.uow() as uow:
        await uow.messages.add(case_id=case.id, chat_id=100001, user_id=100001, direction="in",
                               kind="text", text=XSS, file_ids=[], payload={}, at=app.clock.now())
        await uow.commit()
    c = await logged_in(admin_app, "viewer")
    for path in (f"/cases/{case.id}", "/cases", f"/cases?q={XSS}"):
        r = await c.get(path)
        assert "<script>alert" not in r.text and "<img src=x" not in r.text, path
        assert "&lt;script&gt;alert(" in r.text, path
        assert "script-src 'self'" in r.headers["content-security-policy"]
    rows = list(csv.reader(io.StringIO((await c.get("/cases/export.csv")).content.decode("utf-8-sig"))))
    assert rows[1][8] == f"门口有人摆摊{XSS}"  # a CSV is data, not markup: kept verbatim
    await c.aclose()


async def test_filters_grid_subtree_overdue_text_and_dates(admin_app: Any, app: Any, clock: Any,
                                                           users: Any, cases: Any) -> None:
    registry = app.registry
    now, tz = clock.now(), app.settings.timezone

    async def numbers(**params: str) -> set[str]:
        f = queries.CaseFilter.from_params(params, registry)
        page = await queries.search(app.uow(), registry, f, clock.now(), tz)
        return {r.number for r in page.rows}

    d, t = cases["dispatched"].number, cases["triage"].number
    assert await numbers() == {d, t}
    for grid in ("G-01", "G-01-01", "G-01-01-01", "G-01-01-01-04"):  # the case's grid or above
        assert await numbers(grid=grid) == {d}, grid
    assert await numbers(grid="G-01-02") == set()
    assert await numbers(status="triage") == {t} and await numbers(status="open") == {d, t}
    assert await numbers(unit="zf-chengguan") == {d}
    assert await numbers(q="菜市场") == {d} and await numbers(q=d) == {d} and await numbers(q="100%") == set()
    assert await numbers(overdue="1") == set()
    clock.advance(hours=3)  # 占道经营: 2 h
    assert await numbers(overdue="1") == {d}
    day = now.astimezone(__import__("zoneinfo").ZoneInfo(tz)).date()
    assert await numbers(**{"from": day.isoformat(), "to": day.isoformat()}) == {d, t}
    assert await numbers(**{"from": (day + timedelta(days=1)).isoformat()}) == set()
    assert await numbers(status="bogus", grid="nowhere") == {d, t}  # unknown values are ignored
    c = await logged_in(admin_app, "viewer")
    page = await c.get("/cases?overdue=1&grid=G-01-01")
    assert d in page.text and t not in page.text and "超期" in page.text
    await c.aclose()


async def test_keyset_paging_visits_every_case_once(app: Any, clock: Any, users: Any) -> None:
    from gridbot.bench.synthetic_cases import insert_cases

    await insert_cases(app, 130, seed=3)
    registry, tz = app.registry, app.settings.timezone
    f = queries.CaseFilter()
    seen: list[int] = []
    page = await queries.search(app.uow(), registry, f, clock.now(), tz)
    assert page.total == 130 and page.first_index == 1 and page.newer is None
    while True:
        seen += [r.id for r in page.rows]
        if page.older is None:
            break
        page = await queries.search(app.uow(), registry, f, clock.now(), tz, after=page.older)
    assert len(seen) == 130 == len(set(seen)) and seen == sorted(seen, reverse=True)
    back = await queries.search(app.uow(), registry, f, clock.now(), tz, before=page.rows[0].id)
    assert back.first_index == 51 and [r.id for r in back.rows] == seen[50:100]


async def test_exports_follow_the_filter(admin_app: Any, app: Any, users: Any, cases: Any) -> None:
    c = await logged_in(admin_app, "viewer")
    r = await c.get("/cases/export.csv?status=dispatched")
    assert r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["编号", "上报时间", "类别", "状态"]
    assert [row[0] for row in rows[1:]] == [cases["dispatched"].number]
    assert rows[1][2:4] == ["占道经营", "已派遣"] and rows[1][6] == "城关执法中队"
    r = await c.get("/cases/export.xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    values = list(ws.values)
    assert values[0][0] == "编号" and {v[0] for v in values[1:]} == {cases["dispatched"].number,
                                                                     cases["triage"].number}
    await c.aclose()


async def test_formulas_in_exports_are_neutralised(admin_app: Any, app: Any, users: Any) -> None:
    await app.service.submit_report(ReportDraft(
        text='=HYPERLINK("http://evil.example","点我")', reporter_id=await tg_member(app, 100001), category="garbage"))
    c = await logged_in(admin_app, "viewer")
    rows = list(csv.reader(io.StringIO((await c.get("/cases/export.csv")).content.decode("utf-8-sig"))))
    assert rows[1][8].startswith("'=HYPERLINK")
    await c.aclose()
