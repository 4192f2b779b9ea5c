"""Issue 6: admins edit members (roles, grids, units) and units (name, chat, active,
categories, grids); routing stays tie-free; dispatchers/viewers get 403; CSRF everywhere."""

from __future__ import annotations

from typing import Any

from tests.admin.conftest import csrf_of, logged_in


async def _member_id(app: Any, tg_id: int) -> int:
    async with app.uow() as uow:
        member = await uow.members.by_tg(tg_id)
    assert member is not None and member.id is not None
    return member.id


async def _unit_form(c: Any, unit_id: str) -> tuple[str, dict[str, Any]]:
    page = await c.get(f"/config/units/{unit_id}")
    assert page.status_code == 200, page.text
    return page.text, {"csrf_token": csrf_of(page.text)}


async def test_admin_edits_member_roles_and_scope(admin_app: Any, app: Any, users: Any) -> None:
    mid = await _member_id(app, 100001)
    c = await logged_in(admin_app, "admin")
    listing = await c.get("/config/members")
    assert f'href="/config/members/{mid}"' in listing.text
    page = await c.get(f"/config/members/{mid}")
    assert page.status_code == 200 and 'name="roles"' in page.text
    r = await c.post(f"/config/members/{mid}", data={
        "csrf_token": csrf_of(page.text), "roles": ["resident", "grid_worker", "unit_member"],
        "grids": ["G-01-01"], "units": ["zf-chengguan", "hw-chengqu"]})
    assert r.status_code == 303 and r.headers["location"] == "/config/members"
    async with app.uow() as uow:
        m = await uow.members.by_tg(100001)
    assert m is not None
    assert m.roles == {"resident", "grid_worker", "unit_member"}
    assert m.grids == {"G-01-01"} and m.units == {"zf-chengguan", "hw-chengqu"}
    assert "已保存成员" in (await c.get("/config/members")).text
    # Dropping a role drops its scope.
    r = await c.post(f"/config/members/{mid}", data={
        "csrf_token": csrf_of(page.text), "roles": ["resident", "unit_member"],
        "grids": ["G-01-01"], "units": ["zf-chengguan"]})
    async with app.uow() as uow:
        m = await uow.members.by_tg(100001)
    assert m is not None and m.roles == {"resident", "unit_member"}
    assert m.grids == set() and m.units == {"zf-chengguan"}
    await c.aclose()


async def test_unknown_ids_are_refused_and_nothing_saved(admin_app: Any, app: Any, users: Any) -> None:
    mid = await _member_id(app, 100001)
    c = await logged_in(admin_app, "admin")
    token = csrf_of((await c.get(f"/config/members/{mid}")).text)
    for data in ({"roles": ["resident", "wizard"]},
                 {"roles": ["grid_worker"], "grids": ["G-99"]},
                 {"roles": ["unit_member"], "units": ["no-such-unit"]},
                 {"roles": []}):
        r = await c.post(f"/config/members/{mid}", data={"csrf_token": token, **data})
        assert r.status_code == 303 and r.headers["location"] == f"/config/members/{mid}", data
        page = await c.get(f"/config/members/{mid}")
        assert "操作未完成" in page.text, data
    async with app.uow() as uow:
        m = await uow.members.by_tg(100001)
    assert m is not None and m.roles == {"resident"} and not m.grids and not m.units
    await c.aclose()


async def test_admin_edits_unit_chat_and_routing_reloads(admin_app: Any, app: Any, users: Any) -> None:
    c = await logged_in(admin_app, "admin")
    assert 'href="/config/units/zf-chengguan"' in (await c.get("/config/units")).text
    html, data = await _unit_form(c, "zf-chengguan")
    unit = app.registry.units["zf-chengguan"]
    r = await c.post("/config/units/zf-chengguan", data={
        **data, "name": "城关执法中队（新）", "chat_id": "-1009999999999", "active": "1",
        "categories": sorted(unit.categories), "grids": list(unit.grids)})
    assert r.status_code == 303 and r.headers["location"] == "/config/units"
    async with app.uow() as uow:
        saved = await uow.units.get("zf-chengguan")
    assert saved is not None and saved.chat_id == -1009999999999 and saved.name == "城关执法中队（新）"
    assert saved.categories == unit.categories and saved.grids == unit.grids and saved.active
    # Routing reads the reloaded registry.
    assert app.registry.units["zf-chengguan"].chat_id == -1009999999999
    assert app.registry.table.units["zf-chengguan"].name == "城关执法中队（新）"
    assert "已保存责任单位" in (await c.get("/config/units")).text
    await c.aclose()


async def test_routing_tie_is_refused_and_nothing_changes(admin_app: Any, app: Any, users: Any) -> None:
    c = await logged_in(admin_app, "admin")
    _, data = await _unit_form(c, "zf-chengxi")
    before = app.registry.units["zf-chengxi"]
    # 城西 taking 城关's grid: both would take street_vending etc. in G-01-01.
    r = await c.post("/config/units/zf-chengxi", data={
        **data, "name": before.name, "chat_id": "-1001000000777", "active": "1",
        "categories": sorted(before.categories), "grids": ["G-01-01"]})
    assert r.status_code == 303 and r.headers["location"] == "/config/units/zf-chengxi"
    page = await c.get("/config/units/zf-chengxi")
    assert "操作未完成" in page.text and "routing tie" in page.text
    async with app.uow() as uow:
        saved = await uow.units.get("zf-chengxi")
    assert saved == before
    assert app.registry.units["zf-chengxi"] == before
    # Unknown category / grid: refused too.
    for extra in ({"categories": ["nope"], "grids": list(before.grids)},
                  {"categories": sorted(before.categories), "grids": ["G-77"]}):
        await c.post("/config/units/zf-chengxi", data={**data, "name": before.name, "active": "1", **extra})
    async with app.uow() as uow:
        assert await uow.units.get("zf-chengxi") == before
    await c.aclose()


async def test_dispatcher_and_viewer_get_403(admin_app: Any, app: Any, users: Any) -> None:
    mid = await _member_id(app, 100001)
    for role in ("dispatcher", "viewer"):
        c = await logged_in(admin_app, role)
        listing = await c.get("/config/units")
        assert listing.status_code == 200 and "/config/units/zf-chengguan" not in listing.text
        token = csrf_of((await c.get("/cases")).text) if role == "dispatcher" else None
        assert (await c.get(f"/config/members/{mid}")).status_code == 403
        assert (await c.get("/config/units/zf-chengguan")).status_code == 403
        r = await c.post(f"/config/members/{mid}", data={"csrf_token": token or "", "roles": ["admin"]},
                         headers={"x-csrf-token": token} if token else {})
        assert r.status_code == 403
        r = await c.post("/config/units/zf-chengguan", data={"csrf_token": token or "", "name": "x"})
        assert r.status_code == 403
        await c.aclose()
    async with app.uow() as uow:
        m = await uow.members.by_tg(100001)
        u = await uow.units.get("zf-chengguan")
    assert m is not None and m.roles == {"resident"}
    assert u is not None and u.name == "城关执法中队"


async def test_forms_without_csrf_are_refused(admin_app: Any, app: Any, users: Any) -> None:
    mid = await _member_id(app, 100001)
    c = await logged_in(admin_app, "admin")
    r = await c.post(f"/config/members/{mid}", data={"roles": ["admin"]})
    assert r.status_code == 403 and "安全令牌" in r.text
    r = await c.post("/config/units/zf-chengguan", data={"name": "x", "chat_id": "1", "csrf_token": "forged"})
    assert r.status_code == 403
    async with app.uow() as uow:
        m = await uow.members.by_tg(100001)
        u = await uow.units.get("zf-chengguan")
    assert m is not None and m.roles == {"resident"}
    assert u is not None and u.name == "城关执法中队" and u.chat_id == -1001000000001
    await c.aclose()


async def test_console_member_keeps_a_staff_role(admin_app: Any, app: Any, users: Any) -> None:
    mid = users["dispatcher"].member_id
    c = await logged_in(admin_app, "admin")
    token = csrf_of((await c.get(f"/config/members/{mid}")).text)
    await c.post(f"/config/members/{mid}", data={"csrf_token": token, "roles": ["resident"]})
    async with app.uow() as uow:
        m = await uow.members.get(mid)
    assert m is not None and "dispatcher" in m.roles  # the account acts in it
    await c.aclose()
