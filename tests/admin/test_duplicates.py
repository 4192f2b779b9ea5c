"""Dispatchers merge a case into another (合并为重复) and unlink a linked duplicate from the case
page: the reporters follow the main case, both timelines say so, the unit holding the merged
case has its card updated; viewers cannot, and every form needs the CSRF token."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from dispatch.db.orm import CaseEventRow, CaseFollowerRow, OutboxRow
from dispatch.service.cases import ReportDraft
from tests.admin.conftest import MARKET, csrf_of, logged_in
from tests.conftest import tg_member


async def garbage_case(app: Any) -> Any:
    """A second case at the market, of another category (not linked on its own), with a unit."""
    return await app.service.submit_report(ReportDraft(
        text="菜市场门口垃圾堆了好几天", reporter_id=await tg_member(app, 100003), category="garbage",
        lat=MARKET[0], lon=MARKET[1]))


async def actions(app: Any, case_id: int) -> list[tuple[str, str]]:
    async with app.uow() as uow:
        rows = (await uow.session.scalars(select(CaseEventRow).where(CaseEventRow.case_id == case_id)
                                          .order_by(CaseEventRow.id))).all()
    return [(r.action, r.note) for r in rows]


async def followers(app: Any, case_id: int) -> set[int]:
    async with app.uow() as uow:
        return set((await uow.session.scalars(
            select(CaseFollowerRow.member_id).where(CaseFollowerRow.case_id == case_id))).all())


def flash(html: str) -> str:
    m = re.search(r'class="flash flash-\w+" role="status">([^<]*)<', html)
    return m.group(1) if m else ""


async def test_merge_then_unlink(admin_app: Any, app: Any, users: Any, cases: Any) -> None:
    main, dup = cases["dispatched"], await garbage_case(app)
    assert dup.status.value == "dispatched" and dup.unit_id
    c = await logged_in(admin_app, "dispatcher")
    page = await c.get(f"/cases/{dup.id}")
    assert 'id="form-merge"' in page.text and 'id="form-unlink"' not in page.text
    r = await c.post(f"/cases/{dup.id}/merge", data={
        "into": main.number, "note": "同一处问题", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{dup.id}"
    page = await c.get(f"/cases/{dup.id}")
    assert f"已合并到 {main.number}" in flash(page.text)
    async with app.uow() as uow:
        stored = await uow.cases.get(dup.id)
    assert stored.status.value == "duplicate" and stored.duplicate_of == main.id
    assert ("linked_duplicate", main.number) in await actions(app, dup.id)
    assert ("duplicate_reported", dup.number) in await actions(app, main.id)
    assert stored.reporter_id in await followers(app, main.id)
    async with app.uow() as uow:  # the unit's card of the merged case is updated
        kinds = (await uow.session.scalars(select(OutboxRow.kind).where(OutboxRow.case_id == dup.id))).all()
    assert "card_update" in kinds
    assert f'href="/cases/n/{main.number}"' in page.text  # 重复于 main, linked
    assert 'id="form-unlink"' in page.text and 'id="form-merge"' not in page.text
    main_page = (await c.get(f"/cases/{main.id}")).text
    assert dup.number in main_page and "重复上报" in main_page
    # unlink: back to triage, no longer following, the main timeline says so
    r = await c.post(f"/cases/{dup.id}/unlink", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    async with app.uow() as uow:
        stored = await uow.cases.get(dup.id)
    assert stored.status.value == "triage" and stored.duplicate_of is None
    assert stored.reporter_id not in await followers(app, main.id)
    assert ("unlinked_duplicate", dup.number) in await actions(app, main.id)
    assert "取消重复" in (await c.get(f"/cases/{main.id}")).text
    await c.aclose()


async def test_bad_merges_are_refused_with_a_reason(admin_app: Any, app: Any, users: Any, cases: Any) -> None:
    main, dup = cases["dispatched"], cases["triage"]
    c = await logged_in(admin_app, "dispatcher")
    token = csrf_of((await c.get(f"/cases/{dup.id}")).text)
    for into, words in (("", "请填写主案件编号"), ("QH-20990101-9", "没有编号为 QH-20990101-9 的案件"),
                        (dup.number, "不能")):
        await c.post(f"/cases/{dup.id}/merge", data={"into": into, "csrf_token": token})
        text = flash((await c.get(f"/cases/{dup.id}")).text)
        assert text.startswith("操作未完成") and (words in text or into == dup.number), text
    async with app.uow() as uow:
        assert (await uow.cases.get(dup.id)).status.value == "triage"
    # into a closed case: refused
    await c.post(f"/cases/{main.id}/cancel", data={"reason": "测试", "csrf_token": token})
    assert "已作废" in flash((await c.get(f"/cases/{main.id}")).text)
    await c.post(f"/cases/{dup.id}/merge", data={"into": main.number, "csrf_token": token})
    assert flash((await c.get(f"/cases/{dup.id}")).text).startswith("操作未完成")
    async with app.uow() as uow:
        assert (await uow.cases.get(dup.id)).status.value == "triage"
    await c.aclose()


async def test_viewers_and_forged_forms_cannot_merge(admin_app: Any, app: Any, users: Any, cases: Any) -> None:
    main, dup = cases["dispatched"], cases["triage"]
    v = await logged_in(admin_app, "viewer")
    page = await v.get(f"/cases/{dup.id}")
    assert 'id="form-merge"' not in page.text
    r = await v.post(f"/cases/{dup.id}/merge", data={"into": main.number, "csrf_token": csrf_of(page.text)})
    assert r.status_code == 403
    await v.aclose()
    c = await logged_in(admin_app, "dispatcher")
    r = await c.post(f"/cases/{dup.id}/merge", data={"into": main.number})
    assert r.status_code == 403
    async with app.uow() as uow:
        assert (await uow.cases.get(dup.id)).status.value == "triage"
    await c.aclose()
