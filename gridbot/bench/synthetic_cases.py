"""Generated cases, inserted in bulk (for `gridbot bench admin` and the console tests).

Rows are realistic enough for the console: every status, categories, unit grids with a point
inside them, units from the routing table, deadlines, some overdue, some emergencies, and a
`reported` + `dispatched` (+ `resolved`, `closed`) event trail for the dashboard."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select

from dispatch.db.orm import CaseEventRow, CaseRow

CASES: Any = CaseRow.__table__
EVENTS: Any = CaseEventRow.__table__
STATUSES = (["closed"] * 45 + ["dispatched"] * 12 + ["accepted"] * 10 + ["resolved"] * 8
            + ["verified"] * 4 + ["triage"] * 5 + ["returned"] * 2 + ["reopened"] * 2
            + ["cancelled"] * 8 + ["duplicate"] * 4)
WORDS = ["解放路", "人民路", "五丰菜市场", "滨江公园", "建设路", "西山小区", "火车站", "县一中", "东门桥",
         "垃圾桶满了没人清运", "有人占道摆摊", "路灯不亮", "井盖松动", "乱停车堵住消防通道", "广告乱贴",
         "施工噪音扰民", "绿化带被踩坏", "污水外溢", "共享单车乱放"]


async def insert_cases(app: Any, n: int, *, seed: int = 1, days: int = 60, batch: int = 5000,
                       events: bool = True) -> int:
    rng = random.Random(seed)
    registry = app.registry
    tree = registry.tree
    leaves = [g for g in tree.by_id.values() if not tree.children.get(g.id)]
    points = []
    for g in leaves:
        p = g.geometry.representative_point()
        points.append((g.id, p.y, p.x))
    cats = list(registry.taxonomy.category_ids)
    units = list(registry.units)
    now = app.clock.now()
    async with app.uow() as uow:
        start_id = int(await uow.session.scalar(select(func.coalesce(func.max(CaseRow.id), 0))) or 0)
    made = 0
    while made < n:
        rows, evs = [], []
        for i in range(made, min(n, made + batch)):
            cid = start_id + i + 1
            created = now - timedelta(days=days) + timedelta(seconds=(days * 86400) * (i + 1) / n)
            status = rng.choice(STATUSES)
            grid_id, lat, lon = rng.choice(points)
            cat = rng.choice(cats)
            unit = None if status in ("triage",) else rng.choice(units)
            dispatched = created + timedelta(minutes=rng.randint(1, 30)) if unit else None
            due = dispatched + timedelta(hours=rng.choice([2, 4, 24, 72])) if dispatched else None
            resolved = (dispatched + timedelta(hours=rng.random() * 80)
                        if dispatched and status in ("resolved", "verified", "closed") else None)
            closed = (resolved + timedelta(hours=rng.random() * 10)
                      if resolved and status == "closed" else None)
            text = "".join(rng.sample(WORDS, 3))
            rows.append(dict(
                id=cid, number=f"QH-{created:%Y%m%d}-{cid:07d}", category=cat, description=text,
                status=status, reporter_id=None, reporter_role=rng.choice(["resident", "grid_worker"]),
                channel="telegram", lat=lat, lon=lon, address=text[:6], grid_id=grid_id, unit_id=unit,
                emergency=rng.random() < 0.03, priority=0, due_at=due, created_at=created, updated_at=created,
                dispatched_at=dispatched, accepted_at=None, accepted_by=None, resolved_at=resolved,
                closed_at=closed, rework_count=int(rng.random() < 0.05), extension_count=0, return_count=0,
                on_spot=False, rating=rng.choice([None, "satisfied", "basically_satisfied", "unsatisfied"])
                if status == "closed" else None, nlu_confidence=round(rng.random(), 2), duplicate_of=None,
                photos=[], version=0))
            if events:
                evs.append(dict(case_id=cid, at=created, action="reported", actor_id=None,
                                actor_role="resident", channel="telegram", old_status=None,
                                new_status="new", note="", data={}))
                if dispatched and due:
                    evs.append(dict(case_id=cid, at=dispatched, action="dispatched", actor_id=None,
                                    actor_role="system", channel="system", old_status="new",
                                    new_status="dispatched", note="",
                                    data={"unit_id": unit, "due_at": due.isoformat()}))
                if resolved:
                    evs.append(dict(case_id=cid, at=resolved, action="resolved", actor_id=None,
                                    actor_role="unit_member", channel="telegram", old_status="accepted",
                                    new_status="resolved", note="已处置", data={}))
                if closed:
                    evs.append(dict(case_id=cid, at=closed, action="closed", actor_id=None,
                                    actor_role="system", channel="system", old_status="resolved",
                                    new_status="closed", note="", data={"rating": rows[-1]["rating"]}
                                    if rows[-1]["rating"] else {}))
        async with app.uow() as uow:
            await uow.session.execute(insert(CASES), rows)
            if evs:
                await uow.session.execute(insert(EVENTS), evs)
            await uow.commit()
        made += len(rows)
    if app.engine.dialect.name == "postgresql":
        async with app.engine.begin() as conn:
            await conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))")
            await conn.exec_driver_sql("ANALYZE cases")
            await conn.exec_driver_sql("ANALYZE case_events")
    else:
        async with app.engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")
    return made
