"""Invite and bind codes are secrets: whoever holds an unused one joins a unit (or binds its
group). Only admins see them in the console; viewers and dispatchers get the page without."""

from __future__ import annotations

from typing import Any

from dispatch.service import membership
from tests.admin.conftest import logged_in

PAGES = ("/config/invites", "/", "/cases", "/triage", "/config/units", "/config/units/hw-chengqu",
         "/config/members", "/config/audit", "/config/grids", "/config/policy", "/deliveries",
         "/cases/export.csv", "/assessment", "/assessment/export.csv", "/api/map.json")


async def _codes(app: Any, clock: Any) -> list[str]:
    reg, now = app.registry, clock.now()
    return [await membership.create_invite(app.uow(), reg, "unit_member", "hw-chengqu", now),
            await membership.create_invite(app.uow(), reg, "bind_group", "hw-chengqu", now),
            await membership.create_invite(app.uow(), reg, "grid_worker", "G-01-01-01-04", now)]


async def test_only_admins_see_invite_and_bind_codes(admin_app: Any, app: Any, users: Any,
                                                     clock: Any) -> None:
    codes = await _codes(app, clock)
    admin = await logged_in(admin_app, "admin")
    page = await admin.get("/config/invites")
    assert page.status_code == 200 and all(code in page.text for code in codes)
    await admin.aclose()
    for role in ("viewer", "dispatcher"):
        c = await logged_in(admin_app, role)
        for path in PAGES:
            r = await c.get(path)
            assert r.status_code in (200, 403), (role, path, r.status_code)
            leaked = [code for code in codes if code in r.text]
            assert not leaked, f"{role} sees {leaked} on {path}"
        page = await c.get("/config/invites")
        assert page.status_code == 200 and "只有管理员可以查看" in page.text  # the list, without codes
        assert "城区环卫所" in page.text or "hw-chengqu" in page.text
        await c.aclose()
