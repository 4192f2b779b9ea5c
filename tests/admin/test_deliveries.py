"""Notifications the relay gave up on are shown to admins: a list, and on the case page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from dispatch.db.orm import OutboxRow
from tests.admin.conftest import logged_in


async def _fail(app: Any, case_id: int, kind: str, error: str) -> None:
    async with app.uow() as uow:
        await uow.session.execute(
            update(OutboxRow)
            .where(OutboxRow.case_id == case_id, OutboxRow.kind == kind)
            .values(state="failed", attempts=1, last_error=error)
        )
        await uow.commit()


async def test_failed_notices_are_listed_with_recipient_and_reason(
    admin_app: Any, app: Any, users: Any, cases: Any
) -> None:
    case = cases["dispatched"]
    await _fail(
        app, case.id, "resident_notice", "403: Forbidden: bot was blocked by the user <script>x</script>"
    )
    await _fail(app, case.id, "unit_card", "400: Bad Request: chat not found")
    c = await logged_in(admin_app, "viewer")
    page = await c.get("/deliveries")
    assert page.status_code == 200
    assert "投递失败的通知" in page.text and "共 2 条" in page.text
    assert case.number in page.text and f'href="/cases/{case.id}"' in page.text
    assert "进度通知" in page.text and "派单卡片" in page.text
    unit = app.registry.units[case.unit_id]
    assert unit.name in page.text  # the unit's group, by name
    assert "bot was blocked by the user" in page.text
    assert "<script>x</script>" not in page.text and "&lt;script&gt;" in page.text  # escaped
    detail = await c.get(f"/cases/{case.id}")
    assert 'id="failed-deliveries"' in detail.text and "未送达的通知" in detail.text
    other = await c.get(f"/cases/{cases['triage'].id}")
    assert 'id="failed-deliveries"' not in other.text
    await c.aclose()


async def test_nothing_failed_and_logged_out(admin_app: Any, client: Any, users: Any, cases: Any) -> None:
    assert (await client.get("/deliveries")).status_code in (302, 303)
    c = await logged_in(admin_app, "viewer")
    page = await c.get("/deliveries")
    assert "没有投递失败的通知" in page.text
    await c.aclose()
