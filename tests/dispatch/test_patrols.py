"""Patrols through the service on SQLite and PostgreSQL: who may patrol, what is stored,
the 电子围栏 alerts to the grid leader (each once, with a clear), the scheduler's maximum
duration and stale check, retention, the morning message (once), attendance."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from dispatch.db.orm import OutboxRow
from dispatch.db.patrol_tables import PatrolPointRow, PatrolRow
from dispatch.domain.errors import NotAuthorised
from dispatch.service.cases import ReportDraft
from dispatch.service.imports import import_members
from dispatch.service.patrol_queries import attendance_report, may_see_track
from dispatch.service.patrols import PatrolOpen
from dispatch.service.scheduler import Scheduler
from tests.conftest import tg_member

WORKER = 200006  # 邱春梅, grid worker of G-01-02-01-*
OTHER_WORKER = 200001  # 李建国, G-01-02-03-*
RESIDENT = 100001
LEADER = 500001  # 网格长 of 五丰社区 (G-01-02-01), added here
MSG = 77


@pytest.fixture
async def leader(app: Any) -> int:
    await import_members(app.uow(), {"members": [
        {"tg_id": LEADER, "name": "陈网格长", "roles": ["grid_leader"], "grids": ["G-01-02-01"]},
    ]}, app.clock.now())
    return LEADER


def spot(app: Any, grid: str, east_m: float = 0.0) -> tuple[float, float]:
    """(lat, lon) inside `grid`, moved `east_m` metres east."""
    p = app.registry.tree.get(grid).geometry.representative_point()
    return p.y, p.x + east_m / 100_000


async def fence_rows(app: Any) -> list[dict[str, Any]]:
    async with app.uow() as uow:
        rows = (await uow.session.scalars(
            select(OutboxRow).where(OutboxRow.kind == "patrol_fence").order_by(OutboxRow.id))).all()
    return [dict(r.payload, chat_id=r.chat_id) for r in rows]


async def points(app: Any) -> int:
    async with app.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(PatrolPointRow)) or 0)


async def test_only_grid_workers_patrol(app: Any) -> None:
    lat, lon = spot(app, "G-01-02-01-01")
    await app.service.telegram_member(RESIDENT)
    with pytest.raises(NotAuthorised):
        await app.patrols.start(RESIDENT, MSG, lat, lon, 3600, app.clock.now())
    p = await app.patrols.start(WORKER, MSG, lat, lon, 3600, app.clock.now())
    assert p.points == 1 and await points(app) == 1
    # sharing again (a new live location message) continues the same patrol
    app.clock.advance(minutes=1)
    with pytest.raises(PatrolOpen):
        await app.patrols.start(WORKER, MSG + 1, lat + 0.0005, lon, 3600, app.clock.now())
    app.clock.advance(minutes=1)
    r = await app.patrols.update(WORKER, MSG + 1, lat + 0.001, lon, True, app.clock.now())
    assert r.verdict == "stored" and await points(app) == 3
    async with app.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(PatrolRow)) == 1


async def test_out_of_patrol_and_forged_updates_are_not_stored(app: Any) -> None:
    lat, lon = spot(app, "G-01-02-01-01")
    # nobody on patrol: an edited location is not stored
    r = await app.patrols.update(WORKER, MSG, lat, lon, True, app.clock.now())
    assert r.verdict == "no_patrol" and await points(app) == 0
    await app.patrols.start(WORKER, MSG, lat, lon, 3600, app.clock.now())
    app.clock.advance(seconds=30)
    # another message than the patrol's live location: not stored
    r = await app.patrols.update(WORKER, MSG + 5, lat + 0.0003, lon, True, app.clock.now())
    assert r.verdict == "no_patrol"
    # someone else's: not stored
    r = await app.patrols.update(OTHER_WORKER, MSG, lat + 0.0003, lon, True, app.clock.now())
    assert r.verdict == "no_patrol"
    # an implausible jump (10 km in 30 s): not stored
    r = await app.patrols.update(WORKER, MSG, lat + 0.1, lon, True, app.clock.now())
    assert r.verdict == "jump"
    assert await points(app) == 1
    # after the end: not stored
    await app.patrols.end(WORKER)
    app.clock.advance(seconds=30)
    r = await app.patrols.update(WORKER, MSG, lat + 0.0003, lon, True, app.clock.now())
    assert r.verdict == "no_patrol" and await points(app) == 1


async def test_leaving_the_grids_alerts_the_grid_leader_once_then_clears(app: Any, leader: int) -> None:
    home = spot(app, "G-01-02-01-01")
    away = spot(app, "G-01-02-03-01")  # another community's grid
    await app.patrols.start(WORKER, MSG, *home, 8 * 3600, app.clock.now())
    # walk out (teleporting is a jump: move the clock enough for plausible speed)
    app.clock.advance(minutes=10)
    await app.patrols.update(WORKER, MSG, *away, True, app.clock.now())
    for minutes in (5, 5, 5, 5):
        app.clock.advance(minutes=minutes)
        await app.patrols.update(WORKER, MSG, away[0] + 0.0001 * minutes, away[1], True, app.clock.now())
    rows = await fence_rows(app)
    assert [(r["fence"], r["alert"], r["chat_id"]) for r in rows] == [("outside", True, LEADER)]
    app.clock.advance(minutes=10)
    await app.patrols.update(WORKER, MSG, *home, True, app.clock.now())
    app.clock.advance(minutes=1)
    await app.patrols.update(WORKER, MSG, home[0] + 0.0002, home[1], True, app.clock.now())
    rows = await fence_rows(app)
    assert [(r["fence"], r["alert"]) for r in rows] == [("outside", True), ("outside", False)]


async def test_stale_location_alert_from_the_tick_and_clear(app: Any, leader: int) -> None:
    scheduler = Scheduler(app.sessions, lambda: app.registry, app.clock)
    home = spot(app, "G-01-02-01-01")
    await app.patrols.start(WORKER, MSG, *home, 8 * 3600, app.clock.now())
    app.clock.advance(minutes=9)
    await scheduler.tick()
    assert await fence_rows(app) == []
    app.clock.advance(minutes=2)
    await scheduler.tick()
    await scheduler.tick()
    assert [(r["fence"], r["alert"]) for r in await fence_rows(app)] == [("stale", True)]
    app.clock.advance(minutes=1)
    await app.patrols.update(WORKER, MSG, home[0] + 0.0003, home[1], True, app.clock.now())
    await scheduler.tick()
    assert [(r["fence"], r["alert"]) for r in await fence_rows(app)] == [("stale", True), ("stale", False)]


async def test_max_duration_ends_the_patrol_and_tells_the_worker(app: Any) -> None:
    scheduler = Scheduler(app.sessions, lambda: app.registry, app.clock)
    home = spot(app, "G-01-02-01-01")
    p = await app.patrols.start(WORKER, MSG, *home, None, app.clock.now())  # no live period given
    for _ in range(16):  # 8 h of updates every 30 min (ticks in between)
        app.clock.advance(minutes=30)
        await scheduler.tick()
        await app.patrols.update(WORKER, MSG, home[0], home[1] + 0.0001 * _, True, app.clock.now())
    async with app.uow() as uow:
        row = await uow.session.get(PatrolRow, p.id)
        ended = (await uow.session.scalars(select(OutboxRow).where(OutboxRow.kind == "patrol_ended"))).all()
    assert row is not None and row.end_reason == "max_duration"
    assert [r.chat_id for r in ended] == [WORKER]


async def test_stopping_the_live_location_ends_with_coverage_and_reports(app: Any) -> None:
    home = spot(app, "G-01-02-01-01")
    await app.patrols.start(WORKER, MSG, *home, 3600, app.clock.now())
    app.clock.advance(seconds=10)
    worker_id = await tg_member(app, WORKER)
    case = await app.service.submit_report(ReportDraft(
        text="菜市场门口有人摆摊", reporter_id=worker_id, category="street_vending", lat=home[0], lon=home[1]))
    for i in range(1, 6):
        app.clock.advance(seconds=60)
        await app.patrols.update(WORKER, MSG, home[0] + 0.0005 * i, home[1], True, app.clock.now())
    app.clock.advance(seconds=30)
    r = await app.patrols.update(WORKER, MSG, home[0] + 0.003, home[1], False, app.clock.now())
    p = r.ended
    assert p is not None and p.end_reason == "stopped"
    cov = p.summary["coverage"]
    assert set(cov) == {"G-01-02-01-01", "G-01-02-01-02", "G-01-02-01-03", "G-01-02-01-04"}
    assert 0 < cov["G-01-02-01-01"] < 1
    assert p.distance_m == pytest.approx(6 * 55.6, rel=0.05)
    assert p.summary["cases"] == [case.id]  # the report made on the patrol
    with pytest.raises(NotAuthorised):
        await app.patrols.mark_ok(OTHER_WORKER, p.id)
    assert (await app.patrols.mark_ok(WORKER, p.id)).ok


async def test_tracks_deleted_after_retention_figures_kept(app: Any) -> None:
    scheduler = Scheduler(app.sessions, lambda: app.registry, app.clock)
    home = spot(app, "G-01-02-01-01")
    p = await app.patrols.start(WORKER, MSG, *home, 3600, app.clock.now())
    app.clock.advance(minutes=1)
    await app.patrols.update(WORKER, MSG, home[0] + 0.0005, home[1], True, app.clock.now())
    await app.patrols.end(WORKER)
    app.clock.advance(days=89)
    await scheduler.tick()
    assert await points(app) == 2
    app.clock.advance(days=1, minutes=2)
    await scheduler.tick()
    assert await points(app) == 0
    async with app.uow() as uow:
        row = await uow.session.get(PatrolRow, p.id)
    assert row is not None and row.track_deleted and row.distance_m > 0


async def test_morning_message_once_a_day(app: Any, leader: int) -> None:
    scheduler = Scheduler(app.sessions, lambda: app.registry, app.clock)
    # the clock starts at 09:00 local: yesterday's message is due now, and only once
    await scheduler.tick()
    await scheduler.tick()
    app.clock.advance(hours=3)
    await scheduler.tick()
    async with app.uow() as uow:
        rows = (await uow.session.scalars(select(OutboxRow).where(OutboxRow.kind == "patrol_digest"))).all()
    assert [(r.chat_id, r.payload["day"]) for r in rows] == [(LEADER, "2026-11-22")]
    app.clock.advance(hours=21)  # the next morning at 09:00
    await scheduler.tick()
    async with app.uow() as uow:
        n = await uow.session.scalar(select(func.count()).select_from(OutboxRow).where(
            OutboxRow.kind == "patrol_digest"))
    assert n == 2


async def test_attendance_and_who_sees_a_track(app: Any, leader: int) -> None:
    home = spot(app, "G-01-02-01-01")
    start = app.clock.now()
    for day in (0, 2):  # Monday and Wednesday, 40 minutes each
        app.clock.set(start + timedelta(days=day))
        await app.patrols.start(WORKER, MSG + day, *home, 3600, app.clock.now())
        for i in range(1, 5):
            app.clock.advance(minutes=10)
            await app.patrols.update(WORKER, MSG + day, home[0] + 0.0005 * i, home[1], True, app.clock.now())
        await app.patrols.end(WORKER)
    week = start - timedelta(hours=1)  # Monday 00:00 local (the clock starts Monday 09:00)
    async with app.uow() as uow:
        rows, grids = await attendance_report(uow, app.registry, week, week + timedelta(days=7), app.patrols.tz)
    mine = next(r for r in rows if r.name == "邱春梅")
    assert (mine.patrols, mine.patrol_days, mine.required_days, mine.credited_days) == (2, 2, 2, 2)
    assert mine.coverage["G-01-02-01-01"] > 0
    other = next(r for r in rows if r.name == "李建国")
    assert other.rate == 0.0
    assert grids["G-01-02-01-01"] == 1.0 and grids["G-01-02-03-01"] == 0.0
    async with app.uow() as uow:
        worker = await uow.members.by_tg(WORKER)
        boss = await uow.members.by_tg(LEADER)
        stranger = await uow.members.by_tg(OTHER_WORKER)
    assert worker and boss and stranger
    assert may_see_track(worker, worker.id, worker.grids, app.registry)
    assert may_see_track(boss, worker.id, worker.grids, app.registry)
    assert not may_see_track(stranger, worker.id, worker.grids, app.registry)



async def test_report_json_has_patrol_attendance(app: Any) -> None:
    import io

    from dispatch.service.assessment_report import Period, build_report
    from dispatch.service.assessment_table import print_report

    home = spot(app, "G-01-02-01-01")
    await app.patrols.start(WORKER, MSG, *home, 3600, app.clock.now())
    for i in range(1, 5):
        app.clock.advance(minutes=10)
        await app.patrols.update(WORKER, MSG, home[0] + 0.0005 * i, home[1], True, app.clock.now())
    await app.patrols.end(WORKER)
    app.clock.advance(days=6)  # Sunday: the whole week counts
    report = await build_report(app.uow(), app.registry, Period.week("2026-W48"), now=app.clock.now())
    doc = report.as_json()
    assert {"total", "units", "grids", "workers", "offsite", "ranking"} <= set(doc)  # kept
    patrols = doc["patrols"]
    assert patrols["weekly_days"] == 2
    mine = next(w for w in patrols["workers"] if w["name"] == "邱春梅")
    assert (mine["patrols"], mine["patrol_days"], mine["required_days"], mine["credited_days"]) == (1, 1, 2, 1)
    assert mine["attendance_rate"] == 0.5 and mine["coverage"]["G-01-02-01-01"] > 0
    grid = next(g for g in patrols["grids"] if g["id"] == "G-01-02-01-01")
    assert grid["attendance_rate"] == 0.5
    out = io.StringIO()
    print_report(report, out)
    assert "【巡查出勤】" in out.getvalue() and "邱春梅：巡查 1 日，计入 1/2 日（50.0%）" in out.getvalue()


async def test_an_update_racing_an_end_does_not_reopen_the_patrol(app: Any) -> None:
    from dispatch.db.patrol_store import PatrolStore

    home = spot(app, "G-01-02-01-01")
    await app.patrols.start(WORKER, MSG, *home, 3600, app.clock.now())
    async with app.uow() as uow:  # an update read the patrol while it was open …
        stale = await PatrolStore(uow.session).open_for_tg(WORKER)
    await app.patrols.end(WORKER)  # … and the worker ended it before the update wrote
    assert stale is not None
    stale.points += 1
    async with app.uow() as uow:
        assert not await PatrolStore(uow.session).save(stale, while_open=True)
        await uow.commit()
    async with app.uow() as uow:
        row = await uow.session.get(PatrolRow, stale.id)
    assert row is not None and row.ended_at is not None and row.points == 1
