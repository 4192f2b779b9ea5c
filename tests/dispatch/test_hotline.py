"""12345 work orders through the same loop: created, re-sent, amended, recorded, private."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from dispatch.service.hotline import HotlineImporter
from dispatch.service.hotline_file import HotlineOrder

TZ = ZoneInfo("Asia/Shanghai")
VENDING = "来电人反映：五丰菜市场门口有人占道摆摊卖水果，影响通行，要求相关部门尽快处理。"
GARBAGE = "市民来电反映：解放小区门口垃圾桶满了好几天没人清运，臭气熏天，希望相关部门尽快处理。"


@pytest.fixture(scope="module")
def classifier() -> Any:
    from nlu.api import load_model

    return load_model()


@pytest.fixture
def importer(app: Any, classifier: Any) -> HotlineImporter:
    classifier.add_places(app.registry.gazetteer.all_names())
    return HotlineImporter(app.service, app.uow, classifier)


def order(no: str = "HL-1", text: str = VENDING, **kw: Any) -> HotlineOrder:
    fields: dict[str, Any] = {"address": "五丰菜市场", "kind": "投诉", "caller_name": "张先生",
                              "caller_phone": "13800001111"}
    fields.update(kw)
    return HotlineOrder(no, datetime(2026, 11, 23, 9, 0, tzinfo=TZ), text, **fields)


async def test_an_order_becomes_a_dispatched_case_and_a_resend_changes_nothing(
    app: Any, importer: HotlineImporter
) -> None:
    from dispatch.db.orm import CaseEventRow, OutboxRow

    first = await importer.import_order(1, order())
    assert (first.status, first.category, first.unit_id) == ("created", "street_vending", "zf-chengxi")
    async with app.uow() as uow:
        case = await uow.cases.by_number(first.case_number)
        reporter = await uow.members.get(case.reporter_id)
        events = (await uow.session.scalars(select(CaseEventRow))).all()
        outbox = (await uow.session.scalars(select(OutboxRow))).all()
    assert case.channel == "hotline" and case.status == "dispatched"
    assert reporter.ref == "hotline" and reporter.tg_id is None
    # the caller is kept for the call-back, never on the case a unit reads
    assert "张先生" not in case.description and "13800001111" not in case.description
    assert all("13800001111" not in str(o.payload) for o in outbox)
    assert {e.channel for e in events} == {"hotline"}
    again = await importer.import_order(1, order())
    assert again.status == "unchanged" and again.case_number == first.case_number
    async with app.uow() as uow:
        assert len((await uow.session.scalars(select(CaseEventRow))).all()) == len(events)


async def test_a_changed_text_and_place_reroutes_the_case(app: Any, importer: HotlineImporter) -> None:
    first = await importer.import_order(1, order())
    changed = await importer.import_order(1, order(text=GARBAGE, address="解放小区"))
    assert changed.status == "updated" and changed.case_number == first.case_number
    assert (changed.category, changed.grid_id, changed.unit_id) == ("garbage", "G-01-01-01-04", "hw-chengqu")
    async with app.uow() as uow:
        case = await uow.cases.by_number(first.case_number)
        actions = [e.action for e in await uow.cases.events(case.id)]
    assert case.description == GARBAGE and case.address == "解放小区"
    assert actions[-3:] == ["amended", "recategorised", "reassigned"]
    # only the caller changed: the order is updated, the case is not touched
    caller = await importer.import_order(1, order(text=GARBAGE, address="解放小区", caller_name="张三"))
    assert caller.status == "updated"
    async with app.uow() as uow:
        assert len(await uow.cases.events(case.id)) == len(actions)


async def test_a_place_that_resolves_nowhere_goes_to_triage_with_the_reason(
    app: Any, importer: HotlineImporter
) -> None:
    r = await importer.import_order(1, order(text="来电人反映：有个窨井盖丢了，要求尽快处理。", address="火星路99号"))
    assert r.status == "created" and r.grid_id is None and r.unit_id is None
    async with app.uow() as uow:
        case = await uow.cases.by_number(r.case_number)
        last = (await uow.cases.events(case.id))[-1]
    assert case.status == "triage" and last.note


async def test_enquiries_suggestions_and_praise_are_recorded_not_dispatched(
    app: Any, importer: HotlineImporter
) -> None:
    from dispatch.db.channel_tables import HotlineOrderRow
    from dispatch.db.orm import CaseRow

    for i, kind in enumerate(["咨询", "建议", "表扬"]):
        r = await importer.import_order(i + 1, order(f"HL-{kind}", kind=kind))
        assert r.status == "recorded" and r.case_number is None and r.unit_id is None
    async with app.uow() as uow:
        assert (await uow.session.scalars(select(CaseRow))).all() == []
        rows = (await uow.session.scalars(select(HotlineOrderRow))).all()
    assert len(rows) == 3 and all(r.case_id is None and r.caller_phone == "13800001111" for r in rows)
    # the same order re-sent as a complaint becomes a case
    r = await importer.import_order(1, order("HL-咨询", kind="投诉"))
    assert r.status == "created" and r.unit_id == "zf-chengxi"


async def test_a_duplicated_order_number_in_one_file_last_wins(importer: HotlineImporter) -> None:
    a = await importer.import_order(1, order())
    b = await importer.import_order(2, replace(order(), text=GARBAGE, address="解放小区"))
    assert (a.status, b.status, b.case_number) == ("created", "updated", a.case_number)
    assert b.unit_id == "hw-chengqu"


async def test_the_export_answers_each_order(app: Any, importer: HotlineImporter, clock: Any) -> None:
    from datetime import timedelta

    import texts
    from dispatch.domain.case import Actor
    from dispatch.service.hotline_export import export_rows

    since = clock.now()
    done = await importer.import_order(1, order("HL-A"))
    await importer.import_order(2, order("HL-B", text=GARBAGE, address="解放小区"))
    await importer.import_order(3, order("HL-C", kind="咨询"))
    async with app.uow() as uow:
        case = await uow.cases.by_number(done.case_number)
        worker = next(m for m in await uow.members.all() if "zf-chengxi" in m.units)
        staff = next(m for m in await uow.members.all() if "dispatcher" in m.roles and m.ref != "hotline")
    unit = Actor(worker.id, "unit_member", "telegram")
    await app.service.accept(case.id, unit)
    clock.advance(hours=1)
    await app.service.resolve(case.id, unit, "摊贩已劝离", [])
    await app.service.close(case.id, Actor(staff.id, "dispatcher", "admin"), "已回访")
    rows = await export_rows(app.uow, app.registry, since, TZ)
    assert [r[0] for r in rows] == ["HL-A", "HL-B", "HL-C"]
    a, b, c = rows
    assert a[1:] == [done.case_number, "已结案", "已办结", "城西执法中队",
                     (since + timedelta(hours=1)).astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S"), "摊贩已劝离", ""]
    assert b[3] == texts.HOTLINE_IN_PROGRESS and b[4] == "城区环卫所" and b[5] == ""
    assert c[1] == "" and c[2] == texts.HOTLINE_RECORDED
    clock.advance(hours=1)
    assert await export_rows(app.uow, app.registry, clock.now(), TZ) == []  # nothing changed since


async def test_offsite_check_finds_what_grid_workers_reported_first(
    app: Any, importer: HotlineImporter, clock: Any
) -> None:
    from datetime import timedelta

    from dispatch.domain.offsite import OffsiteRule
    from dispatch.service.cases import ReportDraft
    from dispatch.service.hotline_check import offsite_check

    tree = app.registry.tree
    async with app.uow() as uow:
        worker = next(m for m in await uow.members.all()
                      if "grid_worker" in m.roles and m.covers_grid(tree, "G-01-02-01-01"))
    call = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
    clock.set(call - timedelta(hours=5))
    found = await app.service.submit_report(ReportDraft(
        text="五丰菜市场门口有流动摊贩占道", reporter_id=worker.id, category="street_vending",
        address="五丰菜市场"))
    clock.set(call + timedelta(minutes=5))
    await importer.import_order(1, order("HL-seen"))  # the same grid and category, 5 h later
    await importer.import_order(2, order("HL-missed", text=GARBAGE, address="解放小区"))
    start, end = call - timedelta(days=1), call + timedelta(days=1)
    result = await offsite_check(app.uow, app.registry, start, end, OffsiteRule(), TZ)
    by_no = {o["order_no"]: o for o in result["orders"]}
    assert by_no["HL-seen"]["found_first"] and by_no["HL-seen"]["found_by"] == found.number
    assert not by_no["HL-missed"]["found_first"]
    assert result["total"] == {"hotline_orders": 2, "not_found_first": 1, "not_found_rate": 0.5}
    grids = {g["id"]: g for g in result["grids"]}
    assert grids["G-01-02-01-01"]["not_found_first"] == 0 and grids["G-01-01-01-04"]["not_found_rate"] == 1.0
    mine = next(w for w in result["workers"] if w["id"] == worker.ref)
    assert mine["hotline_orders"] >= 1
    # a window shorter than the 5 hours: not found first any more
    short = await offsite_check(app.uow, app.registry, start, end, OffsiteRule(timedelta(hours=4)), TZ)
    assert short["total"]["not_found_first"] == 2


async def test_a_recorded_order_resent_as_a_complaint_is_classified_in_full(
    app: Any, importer: HotlineImporter
) -> None:
    gas = "来电人反映：解放小区3栋楼道里燃气泄漏，煤气味很浓，要求相关部门尽快处理。"
    assert importer.classifier.predict(gas).emergency
    await importer.import_order(1, order("HL-gas", text=gas, address="解放小区", kind="咨询"))
    r = await importer.import_order(1, order("HL-gas", text=gas, address="解放小区", kind="投诉"))
    async with app.uow() as uow:
        case = await uow.cases.by_number(r.case_number)
    assert r.status == "created" and case.emergency


async def test_the_assessment_shows_hotline_orders_not_found_first(
    app: Any, importer: HotlineImporter, clock: Any
) -> None:
    """非现场检查 in `gridbot report --json`: per grid (its ancestors too), per grid worker, total."""
    from datetime import timedelta

    from dispatch.service.assessment_report import Period, build_report

    call = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
    clock.set(call)
    await importer.import_order(1, order("HL-missed", text=GARBAGE, address="解放小区"))
    clock.set(call + timedelta(hours=1))
    report = await build_report(app.uow(), app.registry, Period.month("2026-11"), now=clock.now())
    out = report.as_json()
    assert out["offsite"] == {"hotline_orders": 1, "not_found_first": 1, "not_found_rate": 1.0}
    grids = {g["id"]: g for g in out["grids"]}
    unit_grid = "G-01-01-01-04"
    assert grids[unit_grid]["not_found_first"] == 1 and grids[unit_grid]["not_found_rate"] == 1.0
    assert grids["G-01-01-01"]["hotline_orders"] == 1  # the community above counts it too
    assert all(g["hotline_orders"] == 0 and g["not_found_rate"] is None
               for gid, g in grids.items() if not app.registry.tree.is_within(unit_grid, gid))
    tree = app.registry.tree
    async with app.uow() as uow:
        covering = {m.ref for m in await uow.members.all()
                    if "grid_worker" in m.roles and m.covers_grid(tree, unit_grid)}
    workers = {w["id"]: w for w in out["workers"]}
    assert covering and all(workers[ref]["not_found_first"] == 1 for ref in covering)
