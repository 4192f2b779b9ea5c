"""Patrols, pure: which updates are stored, distance and time inside, the 电子围栏 rules,
coverage on known geometry, attendance figures."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from shapely.geometry import box

from dispatch.domain.patrol import EndReason, FenceKind, Patrol, PatrolRules, TrackPoint, Verdict
from dispatch.domain.patrol_attendance import PatrolRecord, Worker, attendance, required_by_week
from dispatch.domain.patrol_coverage import coverage, covered_mask, raster, share

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
RULES = PatrolRules(max_hours=8, max_speed_kmh=60, max_points=5, outside_minutes=15, stale_minutes=10)
LAT0, LON0 = 25.0, 115.0
M_PER_DEG_LAT = 6_371_008.8 * math.pi / 180


def north(metres: float) -> float:
    return LAT0 + metres / M_PER_DEG_LAT


def patrol() -> Patrol:
    return Patrol(member_id=1, tg_id=7, message_id=10, started_at=T0, grids=("G",))


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def test_updates_judged_and_summed() -> None:
    p = patrol()
    assert p.add_point(TrackPoint(at(0), LAT0, LON0), True, at(0), RULES)[0] is Verdict.STORED
    # the same place 30 s later: a duplicate, not stored, but a sign of life
    assert p.add_point(TrackPoint(at(30), LAT0, LON0), True, at(30), RULES)[0] is Verdict.DUPLICATE
    assert p.last_seen == at(30) and p.points == 1
    # 50 m in 30 s (6 km/h): stored
    assert p.add_point(TrackPoint(at(60), north(50), LON0), True, at(60), RULES)[0] is Verdict.STORED
    # out of order
    assert p.add_point(TrackPoint(at(50), north(60), LON0), True, at(60), RULES)[0] is Verdict.OUT_OF_ORDER
    # 2 km in 30 s: a jump
    assert p.add_point(TrackPoint(at(90), north(2050), LON0), True, at(90), RULES)[0] is Verdict.JUMP
    # stamped in the future
    assert p.add_point(TrackPoint(at(500), north(80), LON0), True, at(90), RULES)[0] is Verdict.FUTURE
    assert p.points == 2
    assert p.distance_m == pytest.approx(50, abs=0.5)
    assert p.inside_s == 60  # from the first stored point to the second, both inside


def test_points_are_bounded() -> None:
    p = patrol()
    for i in range(8):
        p.add_point(TrackPoint(at(60 * i), north(50 * i), LON0), True, at(60 * i), RULES)
    assert p.points == RULES.max_points
    assert p.add_point(TrackPoint(at(600), north(500), LON0), True, at(600), RULES)[0] is Verdict.FULL
    assert p.last_seen == at(600)


def test_closed_patrol_takes_nothing() -> None:
    p = patrol()
    p.end(at(10), EndReason.WORKER)
    assert p.add_point(TrackPoint(at(20), LAT0, LON0), True, at(20), RULES)[0] is Verdict.CLOSED
    assert p.points == 0


def test_fence_outside_alert_once_then_clear() -> None:
    p = patrol()
    kinds = []
    for i, inside in enumerate([True, False, False, False, False, True, True]):
        # 6 minutes apart, 60 m moves
        _, events = p.add_point(TrackPoint(at(360 * i), north(60 * i), LON0), inside, at(360 * i), RULES)
        kinds.append([(e.kind, e.alert) for e in events])
    # outside from t=6 min; alert when 15 min have passed (t=24 min, the 5th point); once
    assert kinds == [[], [], [], [], [(FenceKind.OUTSIDE, True)], [(FenceKind.OUTSIDE, False)], []]


def test_fence_outside_alert_from_the_tick() -> None:
    p = patrol()
    p.add_point(TrackPoint(at(0), LAT0, LON0), False, at(0), RULES)
    assert p.fence.on_tick(at(14 * 60), at(0), PatrolRules(stale_minutes=60)) == []
    events = p.fence.on_tick(at(15 * 60), at(0), PatrolRules(stale_minutes=60))
    assert [(e.kind, e.alert) for e in events] == [(FenceKind.OUTSIDE, True)]
    assert p.fence.on_tick(at(30 * 60), at(0), PatrolRules(stale_minutes=60)) == []


def test_fence_stale_alert_once_then_clear() -> None:
    p = patrol()
    p.add_point(TrackPoint(at(0), LAT0, LON0), True, at(0), RULES)
    assert p.fence.on_tick(at(9 * 60), at(0), RULES) == []
    first = p.fence.on_tick(at(10 * 60), at(0), RULES)
    assert [(e.kind, e.alert, e.since) for e in first] == [(FenceKind.STALE, True, at(0))]
    assert p.fence.on_tick(at(20 * 60), at(0), RULES) == []  # once
    _, events = p.add_point(TrackPoint(at(21 * 60), north(30), LON0), True, at(21 * 60), RULES)
    assert [(e.kind, e.alert) for e in events] == [(FenceKind.STALE, False)]


def test_max_duration_and_live_period() -> None:
    p = patrol()
    assert p.due_end(at(8 * 3600 - 1), RULES) is None
    assert p.due_end(at(8 * 3600), RULES) is EndReason.MAX_DURATION
    p.live_until = at(3600)
    assert p.due_end(at(3600), RULES) is EndReason.STOPPED


def test_coverage_of_a_known_square() -> None:
    """A 200 m × 200 m grid walked along its middle with a 50 m radius: a band 100 m wide
    across the whole square, i.e. half of it."""
    dlat = 200 / M_PER_DEG_LAT
    dlon = 200 / (M_PER_DEG_LAT * math.cos(math.radians(LAT0)))
    grid = box(LON0, LAT0, LON0 + dlon, LAT0 + dlat)
    mid = LAT0 + dlat / 2
    track = [TrackPoint(at(60 * i), mid, LON0 - dlon * 0.1 + dlon * 1.2 * i / 10) for i in range(11)]
    assert coverage(grid, track, 50) == pytest.approx(0.5, abs=0.03)
    # nothing walked: nothing covered; a walk elsewhere: nothing either
    assert coverage(grid, [], 50) == 0
    far = [TrackPoint(at(0), LAT0 + 10 * dlat, LON0), TrackPoint(at(60), LAT0 + 10 * dlat, LON0 + dlon)]
    assert coverage(grid, far, 50) == 0
    # a gap longer than 5 minutes breaks the line: two points at both ends cover two discs only
    ends = [TrackPoint(at(0), mid, LON0), TrackPoint(at(3600), mid, LON0 + dlon)]
    assert coverage(grid, ends, 50) < 0.25


def test_union_of_masks_counts_each_cell_once() -> None:
    dlat = 200 / M_PER_DEG_LAT
    dlon = 200 / (M_PER_DEG_LAT * math.cos(math.radians(LAT0)))
    r = raster(box(LON0, LAT0, LON0 + dlon, LAT0 + dlat))
    low = [TrackPoint(at(60 * i), LAT0 + dlat * 0.25, LON0 + dlon * i / 4) for i in range(5)]
    high = [TrackPoint(at(60 * i), LAT0 + dlat * 0.75, LON0 + dlon * i / 4) for i in range(5)]
    a, b = covered_mask(r, low, 50), covered_mask(r, high, 50)
    assert share(a | a, r.cells) == share(a, r.cells)
    assert share(a | b, r.cells) == pytest.approx(1.0, abs=0.03)


def test_required_days_per_week() -> None:
    # November 2026: Sunday the 1st, then four full weeks and Monday 30th
    req = required_by_week(date(2026, 11, 1), date(2026, 12, 1), 2)
    assert sorted(req.values()) == [0, 0, 2, 2, 2, 2]


def test_attendance_figures() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    # week of Mon 2026-11-23: worker 1 patrols Mon and Wed (1 h each) and Thu for 10 min
    # (too short to count); worker 2 once
    def rec(member: int, day: int, minutes: float) -> PatrolRecord:
        start = datetime(2026, 11, day, 9, 0, tzinfo=tz)
        return PatrolRecord(member, start, start + timedelta(minutes=minutes), 1000.0)

    records = [rec(1, 23, 60), rec(1, 25, 60), rec(1, 26, 10), rec(2, 24, 90)]
    workers = [Worker(1, "甲", ("G1",)), Worker(2, "乙", ("G1", "G2"))]
    rows, grid_rates = attendance(records, workers, date(2026, 11, 23), date(2026, 11, 30), tz,
                                  weekly_days=2, min_minutes=30, rasters={})
    a, b = rows
    assert (a.patrols, a.patrol_days, a.required_days, a.credited_days) == (3, 2, 2, 2)
    assert a.rate == 1.0 and a.hours == pytest.approx(130 / 60)
    assert (b.patrol_days, b.credited_days, b.rate) == (1, 1, 0.5)
    assert grid_rates == {"G1": 0.75, "G2": 0.5}


def test_a_partial_week_credits_but_never_over_one() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    start = datetime(2026, 11, 30, 9, 0, tzinfo=tz)  # Monday: the week in progress requires 0
    recs = [PatrolRecord(1, start, start + timedelta(hours=1), 0.0)]
    [a], _ = attendance(recs, [Worker(1, "甲", ("G1",))], date(2026, 11, 23), date(2026, 12, 1), tz,
                        weekly_days=2, min_minutes=30, rasters={})
    assert (a.required_days, a.credited_days, a.rate) == (2, 1, 0.5)
    recs += [PatrolRecord(1, start - timedelta(days=d), start - timedelta(days=d) + timedelta(hours=1), 0.0)
             for d in (1, 2)]
    [a], _ = attendance(recs, [Worker(1, "甲", ("G1",))], date(2026, 11, 23), date(2026, 12, 1), tz,
                        weekly_days=2, min_minutes=30, rasters={})
    assert (a.required_days, a.credited_days, a.rate) == (2, 3, 1.0)
