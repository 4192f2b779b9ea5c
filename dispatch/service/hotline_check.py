"""非现场检查 over a period: for every hotline order with a case, whether a grid worker's report
of the same category in the same unit grid (or within the rule's distance) preceded it within
the rule's window; per grid and per grid worker, the orders not found first (未主动发现) and
their rate."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.db import channel_store
from dispatch.db.uow import UnitOfWork
from dispatch.domain.members import Role
from dispatch.domain.offsite import OffsiteRule, Sighting, found_first, rate
from dispatch.service.registry import Registry


def _sighting(number: str, category: str, at: datetime, grid_id: str | None, lat: float | None,
              lon: float | None) -> Sighting:
    return Sighting(number, category, at, grid_id, lat, lon)


async def offsite_check(
    uow: Callable[[], UnitOfWork], registry: Registry, start: datetime, end: datetime,
    rule: OffsiteRule, tz: ZoneInfo,
) -> dict[str, Any]:
    async with uow() as u:
        pairs = await channel_store.hotline_cases_between(u.session, start, end)
        categories = sorted({c.category for _, c in pairs})
        reports = await channel_store.grid_worker_cases(u.session, start - rule.window, end, categories)
        workers = [m for m in await u.members.all() if m.has(Role.GRID_WORKER)]
    sightings = [_sighting(r.number, r.category, r.created_at, r.grid_id, r.lat, r.lon) for r in reports]
    orders: list[dict[str, Any]] = []
    per_grid: Counter[tuple[str, bool]] = Counter()
    for order, case in pairs:
        seen = _sighting(case.number, case.category, order.received_at, case.grid_id, case.lat, case.lon)
        first = found_first(seen, sightings, rule)
        orders.append({
            "order_no": order.order_no, "case_number": case.number, "category": case.category,
            "grid_id": case.grid_id, "received_at": order.received_at.astimezone(tz).isoformat(),
            "found_first": first is not None, "found_by": first.number if first else None,
        })
        if case.grid_id is not None:
            per_grid[(case.grid_id, first is not None)] += 1
    grid_ids = sorted({g for g, _ in per_grid})
    grids: list[dict[str, Any]] = []
    for g in grid_ids:
        total, missed = per_grid[(g, True)] + per_grid[(g, False)], per_grid[(g, False)]
        grids.append({"id": g, "name": registry.tree.name(g), "hotline_orders": total,
                      "not_found_first": missed, "not_found_rate": rate(missed, total)})
    people = []
    for w in workers:
        mine = [g for g in grids if w.covers_grid(registry.tree, g["id"])]
        if not mine:
            continue
        total = sum(g["hotline_orders"] for g in mine)
        missed = sum(g["not_found_first"] for g in mine)
        people.append({"id": w.ref, "name": w.name, "hotline_orders": total, "not_found_first": missed,
                       "not_found_rate": rate(missed, total)})
    missed_all = sum(1 for o in orders if not o["found_first"])
    return {
        "window_hours": rule.window.total_seconds() / 3600, "distance_m": rule.distance_m,
        "orders": orders, "grids": grids, "workers": people,
        "total": {"hotline_orders": len(orders), "not_found_first": missed_all,
                  "not_found_rate": rate(missed_all, len(orders))},
    }
