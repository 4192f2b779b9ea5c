"""Moving a unit's work group: a request made by `/bind` in another group waits on the unit's
edit page; an admin approves (the unit moves, audit-logged, both groups get a notice) or
rejects it (the group that asked gets a notice). CSRF-protected, admins only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from dispatch.db.orm import ConfigAuditRow, OutboxRow
from dispatch.service import membership
from tests.admin.conftest import csrf_of, logged_in

UNIT, OLD_GROUP = "zf-chengguan", -1001000000001
OUTSIDER = 300888


async def _request(app: Any, group: int) -> int:
    """An outsider who got a member code and a bind code asks from their own group."""
    now = app.clock.now()
    member_code = await membership.create_invite(app.uow(), app.registry, "unit_member", UNIT, now)
    bind_code = await membership.create_invite(app.uow(), app.registry, "bind_group", UNIT, now)
    await membership.redeem_invite(app.uow(), member_code, OUTSIDER, "外人", now)
    bound = await membership.bind_group(app.uow(), bind_code, group, OUTSIDER, now, "外人的群")
    assert bound.move is not None
    async with app.uow() as uow:
        assert (await uow.units.get(UNIT)).chat_id == OLD_GROUP  # nothing moved yet
    return bound.move.id


async def _notices(app: Any) -> list[tuple[int, str]]:
    async with app.uow() as uow:
        rows = (await uow.session.scalars(select(OutboxRow).where(OutboxRow.kind == "group_notice"))).all()
    return sorted((r.chat_id, r.payload["action"]) for r in rows)


async def test_admin_approves_a_move_on_the_unit_page(admin_app: Any, app: Any, users: Any) -> None:
    move_id = await _request(app, -5000201)
    assert await _notices(app) == [(OLD_GROUP, "move_requested")]  # the real group is told at once
    c = await logged_in(admin_app, "admin")
    page = await c.get(f"/config/units/{UNIT}")
    assert "换群申请" in page.text and f"/config/units/{UNIT}/moves/{move_id}" in page.text
    assert "外人的群" in page.text and str(OUTSIDER) in page.text
    url = f"/config/units/{UNIT}/moves/{move_id}"
    assert (await c.post(url, data={"decision": "approve"})).status_code == 403  # no CSRF token
    r = await c.post(url, data={"csrf_token": csrf_of(page.text), "decision": "approve"})
    assert r.status_code == 303 and r.headers["location"] == f"/config/units/{UNIT}"
    after = await c.get(f"/config/units/{UNIT}")
    assert "已批准" in after.text and f"{url}" not in after.text
    async with app.uow() as uow:
        assert (await uow.units.get(UNIT)).chat_id == -5000201
        audit = (await uow.session.scalars(select(ConfigAuditRow).order_by(ConfigAuditRow.id))).all()
    unit_entry = [a for a in audit if a.object_kind == "unit" and a.object_id == UNIT][-1]
    assert (unit_entry.actor_kind, unit_entry.actor) == ("admin", "admin")
    assert (unit_entry.before, unit_entry.after) == ({"chat_id": OLD_GROUP}, {"chat_id": -5000201})
    assert "approved by admin:admin" in unit_entry.summary
    assert app.registry.units[UNIT].chat_id == -5000201  # the console reloaded its routing
    assert await _notices(app) == sorted(
        [(OLD_GROUP, "move_requested"), (OLD_GROUP, "move_done_old"), (-5000201, "move_done_new")]
    )
    # Decided once: a second post changes nothing.
    r = await c.post(url, data={"csrf_token": csrf_of(page.text), "decision": "reject"})
    assert "已处理" in (await c.get(f"/config/units/{UNIT}")).text
    assert len(await _notices(app)) == 3
    await c.aclose()


async def test_admin_rejects_a_move_and_dispatchers_cannot_decide(
    admin_app: Any, app: Any, users: Any
) -> None:
    move_id = await _request(app, -5000202)
    url = f"/config/units/{UNIT}/moves/{move_id}"
    d = await logged_in(admin_app, "dispatcher")
    token = csrf_of((await d.get("/cases")).text)
    r = await d.post(url, data={"csrf_token": token, "decision": "approve"})
    assert r.status_code == 403
    await d.aclose()
    c = await logged_in(admin_app, "admin")
    token = csrf_of((await c.get(f"/config/units/{UNIT}")).text)
    assert (await c.post(url, data={"csrf_token": token, "decision": "maybe"})).status_code == 303
    r = await c.post(url, data={"csrf_token": token, "decision": "reject"})
    assert r.status_code == 303
    assert "已拒绝" in (await c.get(f"/config/units/{UNIT}")).text
    async with app.uow() as uow:
        assert (await uow.units.get(UNIT)).chat_id == OLD_GROUP
    assert await _notices(app) == sorted([(-5000202, "move_rejected"), (OLD_GROUP, "move_requested")])
    await c.aclose()


async def test_a_chat_changed_on_the_unit_form_tells_both_groups(
    admin_app: Any, app: Any, users: Any
) -> None:
    c = await logged_in(admin_app, "admin")
    unit = app.registry.units[UNIT]
    form = {
        "name": unit.name,
        "active": "1",
        "categories": sorted(unit.categories),
        "grids": list(unit.grids),
    }
    token = csrf_of((await c.get(f"/config/units/{UNIT}")).text)
    r = await c.post(f"/config/units/{UNIT}", data={**form, "csrf_token": token, "chat_id": str(OLD_GROUP)})
    assert r.status_code == 303 and await _notices(app) == []  # the same group: nobody to tell
    r = await c.post(f"/config/units/{UNIT}", data={**form, "csrf_token": token, "chat_id": "-5000203"})
    assert r.status_code == 303 and app.registry.units[UNIT].chat_id == -5000203
    assert await _notices(app) == sorted([(OLD_GROUP, "move_done_old"), (-5000203, "move_done_new")])
    await c.aclose()
