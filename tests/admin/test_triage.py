"""The 待分拨 queue says which unit returned a case and why, orders the unit list by the routing
rule, and will not send a case back to the unit that returned it without a confirmation."""

from __future__ import annotations

import re
from typing import Any

from dispatch.domain.routing import candidates
from tests.admin.conftest import csrf_of, logged_in
from tests.conftest import tg_actor

REASON = "占道摊贩归市场监管，不归执法队"


async def returned_case(app: Any, cases: Any) -> Any:
    async with app.uow() as uow:
        member = next(m for m in await uow.members.all() if "zf-chengguan" in m.units)
    case = cases["dispatched"]
    await app.service.return_case(case.id, await tg_actor(app, member.tg_id, "unit_member"), REASON)
    return case, member


def options(select_html: str) -> list[tuple[str, str]]:
    return re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)</option>', select_html)


def row_of(html: str, number: str) -> str:
    start = html.index(number)
    return html[html.rindex("<tr", 0, start):html.index("</tr>", start)]


async def test_the_queue_shows_who_returned_it_and_why(admin_app: Any, app: Any, users: Any,
                                                       cases: Any) -> None:
    case, member = await returned_case(app, cases)
    c = await logged_in(admin_app, "dispatcher")
    row = row_of((await c.get("/triage")).text, case.number)
    unit = app.registry.unit_name("zf-chengguan")
    assert f"「{unit}」退回" in row and f"理由：{REASON}" in row and member.name in row
    # the unit list: the rule's candidates first, in its order, then the others by name
    first = candidates(app.registry.table, app.registry.tree, case.grid_id, case.category)
    assert first[0] == "zf-chengguan" and len(first) >= 2
    select = row[row.index('<select name="unit_id"'):]
    select = select[:select.index("</select>")]
    ranked = select[select.index('label="按规则可派"'):select.index("</optgroup>")]
    assert [u for u, _ in options(ranked)] == first
    assert f"{unit}（刚退回）" in ranked and 'data-returned="1"' in ranked
    rest = options(select[select.index('label="其他单位"'):])
    assert rest and not {u for u, _ in rest} & set(first)
    assert [name for _, name in rest] == sorted(name for _, name in rest)
    assert 'name="confirm_return"' in row
    await c.aclose()


async def test_sending_it_back_needs_a_confirmation(admin_app: Any, app: Any, users: Any, cases: Any) -> None:
    case, _ = await returned_case(app, cases)
    c = await logged_in(admin_app, "dispatcher")
    page = await c.get("/triage")
    form = {"unit_id": "zf-chengguan", "back": "triage", "csrf_token": csrf_of(page.text)}
    r = await c.post(f"/cases/{case.id}/reassign", data=form)
    assert r.status_code == 303 and r.headers["location"] == "/triage"
    page = await c.get("/triage")
    assert "刚被「" in page.text and "请勾选「确认派回退回单位」" in page.text
    assert case.number in page.text  # still waiting: nothing was sent
    async with app.uow() as uow:
        assert (await uow.cases.get(case.id)).status.value == "triage"
    # the case page asks the same
    r = await c.post(f"/cases/{case.id}/reassign", data={**form, "back": ""})
    assert r.headers["location"] == f"/cases/{case.id}"
    page = await c.get(f"/cases/{case.id}")
    assert "请勾选「确认派回退回单位」" in page.text and 'name="confirm_return"' in page.text
    # confirmed: it goes
    r = await c.post(f"/cases/{case.id}/reassign", data={**form, "confirm_return": "1"})
    async with app.uow() as uow:
        stored = await uow.cases.get(case.id)
    assert stored.status.value == "dispatched" and stored.unit_id == "zf-chengguan"
    await c.aclose()


async def test_another_unit_needs_no_confirmation(admin_app: Any, app: Any, users: Any, cases: Any) -> None:
    case, _ = await returned_case(app, cases)
    c = await logged_in(admin_app, "dispatcher")
    page = await c.get("/triage")
    await c.post(f"/cases/{case.id}/reassign", data={
        "unit_id": "sz-county", "back": "triage", "csrf_token": csrf_of(page.text)})
    async with app.uow() as uow:
        stored = await uow.cases.get(case.id)
    assert stored.status.value == "dispatched" and stored.unit_id == "sz-county"
    await c.aclose()
