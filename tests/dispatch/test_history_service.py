"""History import through the service: imported cases are records of the past."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from dispatch.db.orm import OutboxRow
from dispatch.service.history import import_history
from dispatch.service.scheduler import Scheduler

LINES = [
    '{"case": "H1", "at": "2026-11-20T09:00:00+08:00", "action": "report", "text": "垃圾满了",'
    ' "category": "garbage", "lat": 25.838018, "lon": 115.021984}',
    '{"case": "H1", "at": "2026-11-20T09:00:00+08:00", "action": "dispatch"}',
    '{"case": "H1", "at": "2026-11-20T10:00:00+08:00", "action": "resolve"}',
    '{"case": "H2", "at": "2026-11-20T09:00:00+08:00", "action": "report", "text": "摆摊",'
    ' "category": "street_vending", "lat": 25.838018, "lon": 115.021984}',
    '{"case": "H2", "at": "2026-11-20T09:00:00+08:00", "action": "dispatch"}',
]


async def test_imported_cases_message_nobody(app: Any, clock: Any) -> None:
    result = await import_history(app.uow(), app.registry, LINES, prefix="QH", tz=app.settings.tz, now=clock.now())
    assert result.cases_created == 2
    async with app.uow() as uow:
        h1, h2 = await uow.cases.get(result.case_ids["H1"]), await uow.cases.get(result.case_ids["H2"])
    # routed by the routing rule, due by the policy's time limit
    assert h2.unit_id == "zf-chengguan" and h2.due_at is not None and h1.status.value == "resolved"
    clock.advance(days=10)  # H2 long overdue, H1 long unrated
    await Scheduler(app.sessions, lambda: app.registry, clock).tick()
    async with app.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(OutboxRow)) == 0
        assert (await uow.cases.get(h1.id)).status.value == "resolved"  # no default rating of its own
