"""The bulk seeder of `gridbot bench bot --existing-cases` / `bench admin` (synthetic_cases +
bulk_load), on SQLite and PostgreSQL: what it writes, that the indexes and the case numbers
are whole afterwards, and that a load that fails leaves nothing of itself."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from admin import queries
from dispatch.service.cases import ReportDraft
from gridbot.bench import bulk_load
from gridbot.bench.synthetic_cases import STATUSES, TABLES, insert_cases
from tests.conftest import tg_member

MARKET = (25.838018, 115.021984)  # 解放路菜市场


async def _scalar(app: Any, sql: str) -> Any:
    async with app.engine.connect() as conn:
        return (await conn.exec_driver_sql(sql)).scalar()


async def _rows(app: Any, sql: str) -> list[Any]:
    async with app.engine.connect() as conn:
        return list((await conn.exec_driver_sql(sql)).all())


async def _counts(app: Any) -> dict[str, int]:
    return {t: int(await _scalar(app, f"SELECT count(*) FROM {t}")) for t in (*TABLES, "case_counters")}


async def _indexes(app: Any) -> set[str]:
    if app.engine.dialect.name == "postgresql":
        sql = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'index'"
    return {r[0] for r in await _rows(app, sql)}


@pytest.mark.parametrize("rebuild", [True, False])
async def test_seeded_cases_are_whole(app: Any, rebuild: bool) -> None:
    before, indexes = await _counts(app), await _indexes(app)
    await insert_cases(app, 2000, seed=4, days=20, batch=700, rebuild=rebuild)
    after = await _counts(app)
    added = {t: after[t] - before[t] for t in after}
    assert added["cases"] == 2000 and added["chat_submissions"] == 2000
    assert added["messages"] == 4000  # each report's text in, its number out
    assert await _indexes(app) == indexes  # dropped for the load and built again

    seeded = await _rows(app, "SELECT id, status, unit_id, resolved_at, closed_at, number, created_at "
                              f"FROM cases WHERE id > {before['cases']}")
    assert {r[1] for r in seeded} == set(STATUSES)  # every status
    events = Counter((r[0], r[1]) for r in await _rows(
        app, f"SELECT case_id, action FROM case_events WHERE case_id > {before['cases']}"))
    for cid, status, unit, resolved, closed, _, _ in seeded:
        assert events[(cid, "reported")] == 1
        assert events[(cid, "dispatched")] == (unit is not None)
        assert events[(cid, "resolved")] == (resolved is not None) == (status in ("resolved", "verified", "closed"))
        assert events[(cid, "closed")] == (closed is not None)
    assert sum(events.values()) == added["case_events"]
    cards = await _scalar(app, f"SELECT count(*) FROM outbox WHERE state = 'sent' AND kind = 'unit_card' "
                               f"AND case_id > {before['cases']}")
    assert 0 < cards == added["outbox"] <= sum(1 for r in seeded if r[2] is not None)

    # numbers: the real format, one sequence per day, the day counters past them
    numbers = [r[5] for r in seeded]
    assert len(set(numbers)) == 2000 and all(re.fullmatch(r"QH-\d{8}-\d{4,}", n) for n in numbers)
    last = {day: n for _, day, n in await _rows(app, "SELECT prefix, day, last FROM case_counters")}
    for n in numbers:
        _, day, seq = n.split("-")
        assert int(seq) <= last[day]
    fresh = await app.service.submit_report(ReportDraft(
        text="解放路菜市场门口天天有人摆摊卖菜", reporter_id=await tg_member(app, 100001),
        category="street_vending", lat=MARKET[0], lon=MARKET[1]))
    assert fresh.number not in numbers and fresh.id == max(r[0] for r in seeded) + 1
    today = fresh.number.split("-")[1]
    assert int(fresh.number.split("-")[2]) == last[today] + 1  # today had seeded cases: it goes on

    # the planner has statistics, and the console's list reads the seeded cases
    if app.engine.dialect.name == "postgresql":
        assert await _scalar(app, "SELECT reltuples FROM pg_class WHERE relname = 'cases'") >= 2000
    else:
        assert await _scalar(app, "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'cases'") > 0
    page = await queries.search(app.uow(), app.registry, queries.CaseFilter(status="dispatched"),
                                app.clock.now(), app.settings.timezone)
    assert page.total == sum(1 for r in seeded if r[1] == "dispatched") + (fresh.status.value == "dispatched")
    assert page.rows and all(r.status == "dispatched" for r in page.rows)


async def test_open_cases_at_the_residents_places(app: Any) -> None:
    """Most seeded cases are at named places (where the bench's residents report), and the
    submit path's search for open cases nearby finds them (stored times, places, statuses)."""
    from dispatch.domain.duplicates import haversine_m

    first = int(await _scalar(app, "SELECT coalesce(max(id), 0) FROM cases"))
    await insert_cases(app, 2000, seed=2, days=2)
    tree = app.registry.tree
    places = [(p.lat, p.lon) for g in tree.by_id.values() for p in g.places if p.lat is not None]
    seeded = await _rows(app, f"SELECT id, lat, lon, category, status FROM cases WHERE id > {first} "
                              "ORDER BY id DESC")
    at_places = [r for r in seeded if any(haversine_m(r[1], r[2], a, b) < 40 for a, b in places)]
    assert len(at_places) > len(seeded) / 2
    newest = next(r for r in at_places if r[4] == "dispatched")
    near = await app.service.open_nearby(newest[3], newest[1], newest[2], None, limit=200)
    assert newest[0] in {c.id for c in near} and all(c.category == newest[3] for c in near)


async def test_a_failing_load_leaves_nothing(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    before, indexes = await _counts(app), await _indexes(app)
    real = bulk_load.generate

    def failing(*args: Any, **kwargs: Any) -> Any:
        for i, batch in enumerate(real(*args, **kwargs)):
            if i == 2:
                raise RuntimeError("interrupted")
            yield batch

    monkeypatch.setattr(bulk_load, "generate", failing)
    with pytest.raises(RuntimeError, match="interrupted"):
        await insert_cases(app, 3000, batch=500, rebuild=True)
    assert await _counts(app) == before and await _indexes(app) == indexes
    monkeypatch.setattr(bulk_load, "generate", real)
    await insert_cases(app, 300)  # the database is usable afterwards
    assert (await _counts(app))["cases"] == before["cases"] + 300
