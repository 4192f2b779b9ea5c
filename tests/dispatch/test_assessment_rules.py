"""The counting rules (docs/assessment.md), one test each, on cases moved through the domain
commands at fixed times."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch.domain import assessment as A
from dispatch.domain.case import Actor, Case, Rating

CN = ZoneInfo("Asia/Shanghai")
NOV = (datetime(2026, 11, 1, tzinfo=CN), datetime(2026, 12, 1, tzinfo=CN))
DEC = (datetime(2026, 12, 1, tzinfo=CN), datetime(2027, 1, 1, tzinfo=CN))
SYS = Actor.system()
RES = Actor(1, "resident")
GW = Actor(2, "grid_worker")
UNIT = Actor(3, "unit_member")
DISP = Actor(4, "dispatcher")


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=CN)


def case(when: datetime, reporter: Actor = RES, grid: str = "G-1-1") -> Case:
    c = Case(number=f"N{when:%d%H}", category="garbage", description="x", created_at=when,
             reporter_id=reporter.member_id, reporter_role=reporter.role, grid_id=grid)
    c.report(reporter, when)
    return c


def dispatched(when: datetime, hours: float = 4, unit: str = "u1", reporter: Actor = RES) -> Case:
    c = case(when, reporter)
    c.dispatch(unit, when + timedelta(hours=hours), SYS, when)
    return c


def log(c: Case, cid: int = 1) -> A.CaseLog:
    return A.CaseLog(cid, c.grid_id, c.reporter_id, c.reporter_role, c.created_at, tuple(
        A.LogEvent(e.action, e.at, e.actor_id, e.actor_role, e.new_status, e.data) for e in c.events))


def view(c: Case, period: tuple[datetime, datetime], now: datetime, cid: int = 1) -> A.CaseView:
    return A.view(log(c, cid), A.Window.of(*period, now))


def unit_figures(cases: list[Case], period: tuple[datetime, datetime], now: datetime) -> dict[str, A.Figures]:
    views = [view(c, period, now, i) for i, c in enumerate(cases)]
    return {f.subject: f for f in A.by_unit(views, {})}


def resolve(c: Case, when: datetime) -> None:
    c.accept(UNIT, when)
    c.resolve(UNIT, when, "done")


def test_overdue_open_case_is_carried_into_later_months() -> None:
    c = dispatched(at(11, 23))  # due 23 Nov 13:00, never handled
    dec = unit_figures([c], DEC, at(12, 15))["u1"]
    assert (dec.to_handle, dec.handled, dec.overdue_open) == (1, 0, 1)
    jan = A.view(log(c), A.Window.of(DEC[1], datetime(2027, 2, 1, tzinfo=CN), datetime(2027, 1, 5, tzinfo=CN)))
    assert jan.to_handle and jan.overdue_open
    resolve(c, at(12, 20))  # handled in December: counts there, late, and no longer carried
    dec = unit_figures([c], DEC, at(12, 31))["u1"]
    assert (dec.handled, dec.on_time, dec.overdue_open) == (1, 0, 0)
    jan = A.view(log(c), A.Window.of(DEC[1], datetime(2027, 2, 1, tzinfo=CN), datetime(2027, 1, 5, tzinfo=CN)))
    assert not jan.to_handle


def test_a_case_is_reported_in_one_period_only() -> None:
    c = dispatched(at(11, 30, 20), reporter=GW)
    resolve(c, at(12, 2))
    nov = A.total([view(c, NOV, at(12, 10))])
    dec = A.total([view(c, DEC, at(12, 10))])
    assert (nov.reported, nov.active_found, dec.reported, dec.active_found) == (1, 1, 0, 0)
    assert dec.handled == 1 and nov.handled == 0
    assert dec.active_found_rate is None  # nothing reported in December
    workers_nov, _ = A.worker_points([view(c, NOV, at(12, 10))])
    workers_dec, _ = A.worker_points([view(c, DEC, at(12, 10))])
    assert workers_nov[2].reports == 1 and workers_dec == {}  # points by the same report date


def test_cancelled_case_counts_for_no_unit() -> None:
    c = dispatched(at(11, 5))
    c.cancel(RES, at(11, 5, 10), "不需要了")
    figs = unit_figures([c], NOV, at(12, 1))
    assert figs["u1"].to_handle == 0 and figs["u1"].score is None
    total = A.total([view(c, NOV, at(12, 1))])
    assert (total.reported, total.cancelled, total.to_handle) == (0, 1, 0)


def test_default_ratings_are_neither_satisfied_nor_rated() -> None:
    c = dispatched(at(11, 5))
    resolve(c, at(11, 5, 10))
    c.close_by_default(at(11, 8), "satisfied", "默认满意")
    f = unit_figures([c], NOV, at(12, 1))["u1"]
    assert (f.rated, f.satisfied, f.default_rated, f.satisfaction_rate) == (0, 0, 1, None)


def test_person_ratings_and_the_solved_answer() -> None:
    a, b = dispatched(at(11, 5)), dispatched(at(11, 6))
    resolve(a, at(11, 5, 10))
    resolve(b, at(11, 6, 10))
    a.rate(RES, at(11, 5, 12), Rating.BASICALLY_SATISFIED, solved=True, await_verification=True)
    b.rate(RES, at(11, 6, 12), Rating.SATISFIED, solved=False)
    a.verify(GW, at(11, 5, 13), True)  # the closing 核查 repeats the rating: not a second one
    f = unit_figures([a, b], NOV, at(12, 1))["u1"]
    assert (f.rated, f.satisfied, f.satisfaction_rate) == (2, 2, 1.0)
    assert (f.solve_answered, f.solved, f.solve_rate) == (2, 1, 0.5)


def test_duplicate_costs_its_reporter_whoever_linked_it() -> None:
    original = dispatched(at(11, 5))
    dup = case(at(11, 5, 10), GW)
    dup.mark_duplicate(1, original.number, SYS, at(11, 5, 10))
    views = [view(original, NOV, at(12, 1), 1), view(dup, NOV, at(12, 1), 2)]
    workers, per_case = A.worker_points(views)
    assert (workers[2].duplicates, workers[2].reports, workers[2].points) == (1, 0, -1)
    assert per_case == {2: -1}
    assert A.total(views).reported == 1 and A.total(views).duplicates == 1


def test_cancelled_report_earns_nothing() -> None:
    c = case(at(11, 5), GW)
    c.cancel(DISP, at(11, 5, 10), "无效")
    workers, _ = A.worker_points([view(c, NOV, at(12, 1))])
    assert (workers[2].cancelled, workers[2].points) == (1, 0)


def test_on_spot_points_count_once_reviewed_and_the_rules_are_settings() -> None:
    c = case(at(11, 5), GW)
    c.resolve(GW, at(11, 5), "现场处置")
    c.close(SYS, at(11, 5))
    workers, _ = A.worker_points([view(c, NOV, at(12, 1))])
    assert (workers[2].on_spot, workers[2].on_spot_unreviewed, workers[2].points) == (0, 1, 1)
    c.review(Actor(5, "grid_leader"), at(11, 6), True)
    workers, _ = A.worker_points([view(c, NOV, at(12, 1))])
    assert (workers[2].on_spot, workers[2].points) == (1, 3)
    custom = {**A.POINTS, "report": 2, "report_on_spot": 5}
    workers, _ = A.worker_points([view(c, NOV, at(12, 1))], custom)
    assert workers[2].points == 7
    grid = A.total([view(c, NOV, at(12, 1))])
    assert (grid.to_handle, grid.handled, grid.on_time) == (1, 1, 1)  # found and handled


def test_review_needs_an_on_spot_record() -> None:
    from dispatch.domain.errors import DomainError

    with pytest.raises(DomainError):
        dispatched(at(11, 5)).review(DISP, at(11, 6), True)


def test_a_rate_without_denominator_is_null_and_earns_nothing() -> None:
    c = dispatched(at(11, 5))  # one overdue case, nothing handled
    f = unit_figures([c], NOV, at(12, 1))["u1"]
    assert f.handle_rate == 0.0 and f.rework_rate is None
    # 处置 0·30 + 按期 0·20 + (1−超期 1)·20 + (1−延期 0)·10 over the 80 points that exist
    assert f.score == pytest.approx(100 * 10 / 80)


def test_not_yet_due_is_not_overdue_in_the_current_month() -> None:
    c = dispatched(at(12, 5), hours=24 * 10)  # due 15 Dec
    f = unit_figures([c], DEC, at(12, 6))["u1"]
    assert (f.to_handle, f.overdue_open, f.overdue_rate) == (1, 0, 0.0)
    f = unit_figures([c], DEC, at(12, 16))["u1"]
    assert f.overdue_open == 1


def test_grids_are_scored_on_finding_and_satisfaction_too() -> None:
    found, told = dispatched(at(11, 5), reporter=GW), dispatched(at(11, 5))
    resolve(found, at(11, 5, 10))
    resolve(told, at(11, 5, 10))
    a = A.total([view(found, NOV, at(12, 1))])
    b = A.total([view(told, NOV, at(12, 1))])
    assert a.active_found_rate == 1.0 and b.active_found_rate == 0.0
    assert a.score is not None and b.score is not None and a.score > b.score


@pytest.mark.parametrize("role", ["grid_worker", "grid_leader", "unit_member"])
def test_staff_reports_are_found_by_staff(role: str) -> None:
    c = case(at(11, 5), Actor(9, role))
    assert A.total([view(c, NOV, at(12, 1))]).active_found == 1


def test_on_time_looks_at_the_latest_resolution() -> None:
    c = dispatched(at(11, 5))  # due 13:00
    resolve(c, at(11, 5, 10))  # on time…
    c.verify(GW, at(11, 5, 11), False)  # …but 核查 fails: 返工, a new deadline
    c.dispatch("u1", at(11, 6, 9), SYS, at(11, 5, 11))
    c.accept(UNIT, at(11, 7))
    c.resolve(UNIT, at(11, 7), "again")  # after the new deadline: late
    f = unit_figures([c], NOV, at(12, 1))["u1"]
    assert (f.handled, f.on_time, f.reworked, f.rework_rate) == (1, 0, 1, 1.0)


def test_extension_moves_the_deadline() -> None:
    c = dispatched(at(11, 5))
    c.extend(DISP, at(11, 5, 12), at(11, 6, 17), "材料未到")
    resolve(c, at(11, 6, 12))
    f = unit_figures([c], NOV, at(12, 1))["u1"]
    assert (f.on_time, f.extended, f.extension_rate) == (1, 1, 1.0)


def test_a_returned_case_counts_for_the_unit_that_finally_holds_it() -> None:
    c = dispatched(at(11, 5), unit="wrong")
    c.return_to_dispatcher(UNIT, at(11, 5, 10), "非本单位职责")
    c.send_to_triage(SYS, at(11, 5, 10), "退回")
    c.dispatch("right", at(11, 5, 16), DISP, at(11, 5, 11))
    figs = unit_figures([c], NOV, at(12, 1))
    assert figs["wrong"].to_handle == 0 and figs["right"].to_handle == 1
    assert (figs["wrong"].dispatched, figs["wrong"].returned, figs["wrong"].accurate_dispatch_rate) == (1, 1, 0.0)
    assert figs["right"].accurate_dispatch_rate == 1.0


def test_a_case_counts_for_its_grid_and_every_ancestor() -> None:
    c = dispatched(at(11, 5))
    grids = A.by_grid([view(c, NOV, at(12, 1))], {"G-1-1": ("G-1-1", "G-1", "G")}, {})
    assert [(g.subject, g.reported, g.to_handle) for g in grids] == [
        ("G", 1, 1), ("G-1", 1, 1), ("G-1-1", 1, 1)]


def test_ranking_takes_scored_subjects_and_breaks_ties_by_volume_then_id() -> None:
    def fig(sid: str, handled: int, to_handle: int) -> A.Figures:
        return A.Figures(sid, sid, {"handle_rate": 1}, to_handle=to_handle, handled=handled)

    figs = [fig("a", 1, 1), fig("b", 2, 2), fig("c", 0, 1), fig("d", 1, 2), fig("e", 0, 0), fig("f", 0, 3)]
    top, bottom = A.ranking(figs)
    assert [f.subject for f in top] == ["b", "a", "d"]
    assert [f.subject for f in bottom] == ["c", "f"]  # e has no score; worst first, fewer cases first
