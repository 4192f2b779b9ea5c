"""Every statement the submit, press and relay paths run is served by an index: the plans of
the statements actually executed (captured from the engine) show no full scan of cases,
case_events or outbox — on SQLite (EXPLAIN QUERY PLAN) and on PostgreSQL (EXPLAIN with
sequential scans priced out, so a scan shows only when no index can serve the query)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import event

from dispatch.db import outbox
from dispatch.service.cases import ReportDraft
from tests.conftest import tg_actor, tg_member

MARKET = (25.838018, 115.021984)  # 解放路菜市场
WATCHED = ("cases", "case_events", "outbox")


async def _captured(app: Any, work: Callable[[], Awaitable[None]]) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def listen(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool) -> None:
        if re.match(r"\s*(SELECT|UPDATE|DELETE|WITH)\b", statement, re.I):
            seen.append((statement, parameters[0] if many else parameters))

    event.listen(app.engine.sync_engine, "before_cursor_execute", listen)
    try:
        await work()
    finally:
        event.remove(app.engine.sync_engine, "before_cursor_execute", listen)
    assert seen, "nothing captured"
    return seen


async def _plans(app: Any, statements: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    postgres = app.engine.dialect.name == "postgresql"
    out = []
    async with app.engine.connect() as conn:
        if postgres:
            await conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, params in statements:
            prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            rows = (await conn.exec_driver_sql(prefix + statement, params)).all()
            out.append((statement, "\n".join(str(r[-1]) for r in rows)))
    return out


def full_scans(plan: str, postgres: bool) -> list[str]:
    """The watched tables this plan reads whole (a table scan, or a walk of a whole index)."""
    found = []
    for table in WATCHED:
        if postgres:
            if re.search(rf"Seq Scan on {table}\b", plan):
                found.append(table)
        elif re.search(rf"\bSCAN {table}\b", plan):  # SQLite: SEARCH = by index; SCAN = whole
            found.append(table)
    return found


def assert_indexed(app: Any, plans: list[tuple[str, str]]) -> None:
    postgres = app.engine.dialect.name == "postgresql"
    bad = [(s, p) for s, p in plans if full_scans(p, postgres)]
    assert not bad, "full scans:\n" + "\n\n".join(f"{s}\n→ {p}" for s, p in bad)


async def test_submit_and_press_paths_use_indexes(app: Any) -> None:
    resident, other = await tg_member(app, 100001), await tg_member(app, 100002)
    first = await app.service.submit_report(
        ReportDraft(text="解放路菜市场门口天天有人摆摊卖菜", reporter_id=resident,
                    category="street_vending", lat=MARKET[0], lon=MARKET[1])
    )

    async def submit_duplicate_and_accept() -> None:
        dup = await app.service.submit_report(
            ReportDraft(text="解放路菜市场门口天天有人摆摊卖菜", reporter_id=other,
                        category="street_vending", lat=MARKET[0], lon=MARKET[1])
        )
        assert dup.duplicate_of == first.id  # the duplicate path ran (count of linked reports)
        await app.service.submit_report(
            ReportDraft(text="解放路垃圾桶满了", reporter_id=other, category="garbage",
                        lat=MARKET[0], lon=MARKET[1])
        )
        member = next(m for m in await _members(app) if first.unit_id in m.units and m.tg_id)
        await app.service.accept(first.id, await tg_actor(app, member.tg_id, "unit_member"))

    statements = await _captured(app, submit_duplicate_and_accept)
    assert any("duplicate_of" in s for s, _ in statements)
    plans = await _plans(app, statements)
    assert_indexed(app, plans)
    # The duplicate search reads only the window's cases of the category: the time bound is
    # in the index condition, not a filter over all of the category's cases.
    window = [p for s, p in plans if "created_at >=" in s and "category" in s]
    assert window, "the duplicate search did not run"
    pattern = r"Index Cond: .*created_at >=" if app.engine.dialect.name == "postgresql" else r"created_at>\?"
    assert all(re.search(pattern, p) for p in window), window


async def test_relay_path_uses_indexes(app: Any) -> None:
    resident = await tg_member(app, 100001)
    case = await app.service.submit_report(
        ReportDraft(text="解放路菜市场门口天天有人摆摊卖菜", reporter_id=resident,
                    category="street_vending", lat=MARKET[0], lon=MARKET[1])
    )

    async def relay_steps() -> None:
        now = app.clock.now() + timedelta(seconds=1)
        async with app.uow() as uow:
            pending = await outbox.claim(uow, "plan-test", now, 10)
            assert pending
            await outbox.cards(uow, [case.id])
            await outbox.earliest_pending(uow, [case.id])
            await outbox.record(uow, [outbox.Outcome(p.id, "sent", message_id=1) for p in pending], now,
                                "plan-test")
            await uow.commit()

    assert_indexed(app, await _plans(app, await _captured(app, relay_steps)))


async def _members(app: Any) -> list[Any]:
    async with app.uow() as uow:
        return await uow.members.all()


def test_the_check_sees_a_full_scan() -> None:
    assert full_scans("SCAN cases", postgres=False) == ["cases"]
    assert full_scans("SEARCH cases USING INDEX ix_cases_duplicate_of (duplicate_of=?)", postgres=False) == []
    assert full_scans("Seq Scan on outbox  (cost=10000000000.00..)", postgres=True) == ["outbox"]
    assert full_scans("Index Scan using ix on case_events", postgres=True) == []
