"""The answer to the hotline (`gridbot hotline export`): per 工单编号, what became of it — the
status, the result, the unit, when it was finished, the resolution note, the rating — for
upload back to the 12345 system. The caller's details are not repeated (the hotline has them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import texts
from dispatch.db import channel_store
from dispatch.db.uow import UnitOfWork
from dispatch.service.registry import Registry

DONE = ("closed", "resolved", "verified", "cancelled", "duplicate")


async def export_rows(
    uow: Callable[[], UnitOfWork], registry: Registry, since: datetime, tz: ZoneInfo
) -> list[list[str]]:
    """One row per order changed since `since` (imported, or its case moved), columns
    `texts.HOTLINE_EXPORT_COLUMNS`."""
    async with uow() as u:
        pairs = await channel_store.hotline_orders_changed(u.session, since)
        notes = await channel_store.resolution_notes(u.session, [c.id for _, c in pairs if c is not None])
    rows: list[list[str]] = []
    for order, case in pairs:
        if case is None:
            status = "recorded"
            rows.append([order.order_no, "", texts.HOTLINE_RECORDED, texts.HOTLINE_RESULT[status],
                         "", "", "", ""])
            continue
        finished = case.closed_at or case.resolved_at if case.status in DONE else None
        unit = registry.units.get(case.unit_id) if case.unit_id else None
        rows.append([
            order.order_no,
            case.number,
            texts.STATUS_ZH.get(case.status, case.status),
            texts.HOTLINE_RESULT.get(case.status, texts.HOTLINE_IN_PROGRESS),
            unit.name if unit else "",
            finished.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if finished else "",
            notes.get(case.id, "") if case.status in DONE else "",
            texts.RATING_ZH.get(case.rating or "", ""),
        ])
    return rows


@dataclass(frozen=True, slots=True)
class OrderLine:
    """A hotline order as the console lists it (no caller details)."""

    order_no: str
    received_at: datetime
    kind: str
    text: str
    case_id: int | None
    case_number: str | None
    status: str  # a case status, or "recorded"
    unit: str


async def recent_orders(uow: Callable[[], UnitOfWork], registry: Registry, limit: int) -> list[OrderLine]:
    async with uow() as u:
        pairs = await channel_store.recent_hotline_orders(u.session, limit)
    out = []
    for order, case in pairs:
        unit = registry.units.get(case.unit_id) if case is not None and case.unit_id else None
        out.append(OrderLine(
            order.order_no, order.received_at, order.kind, order.text,
            case.id if case is not None else None, case.number if case is not None else None,
            case.status if case is not None else "recorded", unit.name if unit else "",
        ))
    return out
