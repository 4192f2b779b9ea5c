"""Assessment (考核) figures, computed from each case's event log.

The counting rules (docs/assessment.md) as pure functions: a case is replayed from its
events up to `as_of` (the earlier of the period's end and now), which gives, for the period,
the unit that finally holds it, the deadline in force, whether it was backlog when the
period began, its latest resolution, its ratings. Rates are None when their denominator
is 0; scores are taken over the rates that exist."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

GOOD_RATINGS = frozenset({"satisfied", "basically_satisfied"})
EXCLUDED = frozenset({"cancelled", "duplicate"})
# Reports by these roles are found by staff (主动发现); residents' are not.
STAFF_REPORTERS = frozenset({"grid_worker", "grid_leader", "unit_member", "dispatcher", "admin"})

# A weight per rate; a negative weight scores (1 − rate) ("lower is better").
# One district's rules (处置率 30, 按期 20, 1−返工 20, 1−超期 20, 1−延期 10) rank units.
UNIT_WEIGHTS: dict[str, int] = {
    "handle_rate": 30,
    "on_time_rate": 20,
    "rework_rate": -20,
    "overdue_rate": -20,
    "extension_rate": -10,
}
# Grids are judged on finding and on residents' answers too.
GRID_WEIGHTS: dict[str, int] = {
    "handle_rate": 20,
    "on_time_rate": 15,
    "rework_rate": -10,
    "overdue_rate": -15,
    "extension_rate": -5,
    "active_found_rate": 15,
    "satisfaction_rate": 15,
    "solve_rate": 5,
}

# The rates a weight may name.
RATE_NAMES = (
    "active_found_rate", "handle_rate", "on_time_rate", "overdue_rate", "rework_rate",
    "extension_rate", "accurate_dispatch_rate", "satisfaction_rate", "solve_rate",
)

# Grid-worker points (积分); policy settings override these defaults.
POINTS: dict[str, int] = {
    "report": 1,  # each case reported (主动发现), neither cancelled nor a duplicate
    "report_on_spot": 2,  # extra for 现场处置, once a 网格长 or dispatcher reviewed it
    "verification": 1,  # each 核查 done
    "duplicate": -1,  # a report linked as a duplicate costs its reporter
}


# -- the input: a case and its events ------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LogEvent:
    action: str
    at: datetime
    actor_id: int | None = None
    actor_role: str = "system"
    new_status: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CaseLog:
    case_id: int
    grid_id: str | None
    reporter_id: int | None
    reporter_role: str
    reported_at: datetime
    events: tuple[LogEvent, ...]  # in time order


@dataclass(frozen=True, slots=True)
class Window:
    """A period [start, end) and `as_of` = min(end, now)."""

    start: datetime
    end: datetime
    as_of: datetime

    @classmethod
    def of(cls, start: datetime, end: datetime, now: datetime) -> Window:
        return cls(start, end, min(end, now))

    def covers(self, at: datetime) -> bool:
        """Whether something at `at` has happened by as_of (the end itself is the next period's)."""
        return at < self.end and at <= self.as_of


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


# -- one case seen from one period ----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CaseView:
    case_id: int
    grid_id: str | None
    holder: str | None  # the unit that holds the case at as_of
    excluded: str | None  # "cancelled" / "duplicate" at as_of
    reported: bool  # reported in P and neither cancelled nor a duplicate
    active_found: bool
    to_handle: bool
    handled: bool
    on_time: bool
    overdue_open: bool
    reworked: bool
    extended: bool
    handling_hours: float | None
    dispatches: tuple[tuple[str, bool], ...]  # (unit, returned as wrongly dispatched) in P
    rating: str | None  # the latest rating a person gave in P
    default_rated: bool  # the rating window closed in P with no answer (默认满意)
    solved: bool | None  # the latest answer to "问题解决了吗" in P
    reporter_id: int | None
    reporter_role: str
    reported_in_p: bool  # reported in P (whatever became of it)
    on_spot: bool
    reviewed: bool  # the on-the-spot record passed 审核 before as_of
    verifiers: tuple[int, ...]  # members who did a 核查 of it in P


def view(case: CaseLog, w: Window) -> CaseView:
    """Replay one case's events up to `as_of` and place it in the period."""
    start, as_of = w.start, w.as_of
    status: str | None = None
    holder: str | None = None
    due: datetime | None = None
    first_dispatch: datetime | None = None
    standing: datetime | None = None  # the latest resolution, unless reopened since
    due_at_resolution: datetime | None = None
    at_start: tuple[datetime | None, datetime | None] | None = None  # (standing, due) as P began
    reopened = extended = on_spot = reviewed = default_rated = False
    pairs: dict[str, bool] = {}
    rating: str | None = None
    solved: bool | None = None
    verifiers: list[int] = []
    for e in case.events:
        if not w.covers(e.at):
            break
        if at_start is None and e.at >= start:
            at_start = (standing, due)
        in_p = e.at >= start
        a, d = e.action, e.data
        if e.new_status:
            status = e.new_status
        if a in ("dispatched", "reassigned"):
            holder = str(d.get("unit_id") or "") or None
            due = _when(d.get("due_at")) or due
            first_dispatch = first_dispatch or e.at
            if in_p and holder is not None:
                pairs.setdefault(holder, False)
        elif a == "returned":
            unit = str(d.get("unit_id") or holder or "")
            if in_p and unit in pairs:
                pairs[unit] = True
            holder = None
        elif a == "triaged":
            holder = None
        elif a in ("resolved", "resolved_on_spot"):
            standing, due_at_resolution = e.at, due
            on_spot = on_spot or a == "resolved_on_spot"
        elif a == "reopened":
            standing = None
            reopened = True
            if in_p and d.get("cause") == "verification" and e.actor_id is not None:
                verifiers.append(e.actor_id)
        elif a == "extended":
            due = _when(d.get("due_at")) or due
            extended = True
        elif a == "verified" and in_p and e.actor_id is not None:
            verifiers.append(e.actor_id)
        elif a == "reviewed":
            reviewed = bool(d.get("ok"))
        if in_p and d.get("by_default"):
            default_rated = rating is None
        elif in_p and e.actor_role != "system" and ("rating" in d or "solved" in d):
            rating = str(d["rating"]) if d.get("rating") else rating
            solved = bool(d["solved"]) if d.get("solved") is not None else solved
            default_rated = False
    if at_start is None:
        at_start = (standing, due)
    standing_at_start, due_at_start = at_start
    excluded = status if status in EXCLUDED else None
    handled = excluded is None and standing is not None and standing >= start
    backlog = standing_at_start is None and due_at_start is not None and due_at_start < start
    due_in_p = due is not None and start <= due < w.end
    to_handle = excluded is None and (handled or (standing is None and (backlog or due_in_p)))
    reported_in_p = start <= case.reported_at and w.covers(case.reported_at)
    return CaseView(
        case_id=case.case_id,
        grid_id=case.grid_id,
        holder=None if on_spot else holder,
        excluded=excluded,
        reported=reported_in_p and excluded is None,
        active_found=reported_in_p and excluded is None and case.reporter_role in STAFF_REPORTERS,
        to_handle=to_handle,
        handled=handled,
        on_time=handled and (on_spot or due_at_resolution is None or standing <= due_at_resolution),  # type: ignore[operator]
        overdue_open=to_handle and standing is None and due is not None and due < as_of,
        reworked=handled and reopened,
        extended=to_handle and extended,
        handling_hours=(
            (standing - first_dispatch).total_seconds() / 3600
            if handled and standing is not None and first_dispatch is not None
            else None
        ),
        dispatches=tuple(pairs.items()),
        rating=rating,
        default_rated=default_rated and rating is None,
        solved=solved,
        reporter_id=case.reporter_id,
        reporter_role=case.reporter_role,
        reported_in_p=reported_in_p,
        on_spot=on_spot,
        reviewed=reviewed,
        verifiers=tuple(verifiers),
    )


# -- figures per subject ---------------------------------------------------------------------
def _rate(n: int, d: int) -> float | None:
    return n / d if d else None


@dataclass
class Figures:
    subject: str
    name: str
    weights: Mapping[str, int] = field(default_factory=lambda: UNIT_WEIGHTS, repr=False)
    reported: int = 0
    active_found: int = 0
    to_handle: int = 0
    handled: int = 0
    on_time: int = 0
    overdue_open: int = 0
    reworked: int = 0
    extended: int = 0
    dispatched: int = 0
    returned: int = 0
    rated: int = 0
    satisfied: int = 0
    default_rated: int = 0
    solve_answered: int = 0
    solved: int = 0
    duplicates: int = 0
    cancelled: int = 0
    points: int = 0
    handling_hours: list[float] = field(default_factory=list)

    def add(self, v: CaseView, *, as_unit: bool) -> None:
        if v.excluded == "duplicate" and v.reported_in_p:
            self.duplicates += 1
        if v.excluded == "cancelled" and v.reported_in_p:
            self.cancelled += 1
        self.reported += v.reported
        self.active_found += v.active_found
        if v.to_handle:
            self.to_handle += 1
            self.handled += v.handled
            self.on_time += v.on_time
            self.overdue_open += v.overdue_open
            self.reworked += v.reworked
            self.extended += v.extended
            if v.handling_hours is not None:
                self.handling_hours.append(v.handling_hours)
        if not as_unit:
            for _unit, returned in v.dispatches:
                self.dispatched += 1
                self.returned += returned
        if v.excluded is None:
            self.default_rated += v.default_rated
            if v.rating is not None:
                self.rated += 1
                self.satisfied += v.rating in GOOD_RATINGS
            if v.solved is not None:
                self.solve_answered += 1
                self.solved += v.solved

    # the rates (None where the denominator is 0)
    @property
    def active_found_rate(self) -> float | None:  # 主动发现率
        return _rate(self.active_found, self.reported)

    @property
    def handle_rate(self) -> float | None:  # 处置率
        return _rate(self.handled, self.to_handle)

    @property
    def on_time_rate(self) -> float | None:  # 按期处置率
        return _rate(self.on_time, self.to_handle)

    @property
    def overdue_rate(self) -> float | None:  # 超期待处置率
        return _rate(self.overdue_open, self.to_handle)

    @property
    def rework_rate(self) -> float | None:  # 返工率
        return _rate(self.reworked, self.handled)

    @property
    def extension_rate(self) -> float | None:  # 延期率
        return _rate(self.extended, self.to_handle)

    @property
    def accurate_dispatch_rate(self) -> float | None:  # 准确派遣率
        return _rate(self.dispatched - self.returned, self.dispatched)

    @property
    def satisfaction_rate(self) -> float | None:  # 满意率 (ratings a person gave)
        return _rate(self.satisfied, self.rated)

    @property
    def solve_rate(self) -> float | None:  # 解决率 (接诉即办解决率)
        return _rate(self.solved, self.solve_answered)

    @property
    def mean_handling_hours(self) -> float | None:  # 平均处置时长
        return sum(self.handling_hours) / len(self.handling_hours) if self.handling_hours else None

    # names the console's tables used before
    proactive_rate = active_found_rate
    handled_rate = handle_rate
    overdue_open_rate = overdue_rate

    @property
    def by_grid_workers(self) -> int:
        return self.active_found

    @property
    def score(self) -> float | None:
        """Out of 100, over the rates that exist (weights renormalised); None without any."""
        return score(self, self.weights)

    RATES = RATE_NAMES
    COUNTS = (
        "reported", "active_found", "to_handle", "handled", "on_time", "overdue_open", "reworked",
        "extended", "dispatched", "returned", "rated", "satisfied", "default_rated", "solve_answered",
        "solved", "duplicates", "cancelled", "points",
    )

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.subject, "name": self.name}
        for k in self.COUNTS:
            out[k] = getattr(self, k)
        out["handled_on_time"] = self.on_time
        out["returned_wrong"] = self.returned
        for k in self.RATES:
            out[k] = getattr(self, k)
        out["mean_handling_hours"] = self.mean_handling_hours
        out["score"] = self.score
        return out

    def as_row(self) -> dict[str, object]:
        return {
            "subject": self.subject,
            "name": self.name,
            "reported": self.reported,
            "proactive_rate": self.active_found_rate,
            "to_handle": self.to_handle,
            "handled": self.handled,
            "handled_rate": self.handle_rate,
            "on_time_rate": self.on_time_rate,
            "overdue_open_rate": self.overdue_rate,
            "rework_rate": self.rework_rate,
            "extension_rate": self.extension_rate,
            "accurate_dispatch_rate": self.accurate_dispatch_rate,
            "satisfaction_rate": self.satisfaction_rate,
            "solve_rate": self.solve_rate,
            "mean_handling_hours": self.mean_handling_hours,
            "score": self.score,
        }


def score(fig: Figures, weights: Mapping[str, int]) -> float | None:
    earned = possible = 0.0
    for name, weight in weights.items():
        value = getattr(fig, name)
        if value is None:
            continue
        earned += weight * value if weight > 0 else -weight * (1 - value)
        possible += abs(weight)
    return 100 * earned / possible if possible else None


def by_unit(
    views: Iterable[CaseView], names: Mapping[str, str], weights: Mapping[str, int] = UNIT_WEIGHTS
) -> list[Figures]:
    """Each case counts for the unit that holds it at as_of; 准确派遣 for every unit it was
    dispatched to in P."""
    out: dict[str, Figures] = {}

    def of(uid: str) -> Figures:
        if uid not in out:
            out[uid] = Figures(uid, names.get(uid, uid), weights)
        return out[uid]

    for v in views:
        for uid, returned in v.dispatches:
            f = of(uid)
            f.dispatched += 1
            f.returned += returned
        if v.holder is not None and v.excluded is None:
            of(v.holder).add(v, as_unit=True)
    return sorted(out.values(), key=lambda f: f.subject)


def by_grid(
    views: Iterable[CaseView],
    ancestors: Mapping[str, Sequence[str]],
    names: Mapping[str, str],
    weights: Mapping[str, int] = GRID_WEIGHTS,
    points: Mapping[int, int] | None = None,
) -> list[Figures]:
    """Each case counts for its unit grid and every grid above it (`ancestors[g]` includes
    g). `points`: the points each case earned its grid workers."""
    out: dict[str, Figures] = {}
    for v in views:
        if v.grid_id is None:
            continue
        for gid in ancestors.get(v.grid_id, (v.grid_id,)):
            f = out.get(gid)
            if f is None:
                f = out[gid] = Figures(gid, names.get(gid, gid), weights)
            f.add(v, as_unit=False)
            f.points += (points or {}).get(v.case_id, 0)
    return sorted(out.values(), key=lambda f: f.subject)


def total(views: Iterable[CaseView], weights: Mapping[str, int] = GRID_WEIGHTS) -> Figures:
    fig = Figures("all", "全部", weights)
    for v in views:
        fig.add(v, as_unit=False)
    return fig


# Defaults of the policy (`assessment` in docs/policy.md), which may change each of them.
RANKING_SIZE = 3  # 前三后三; also the quarter's 奔牛 / 蜗牛
TOP_TEN = 10  # 十佳网格, the year's best grids
INTERVIEW_MONTHS = 3  # in the bottom three this many months running: on the 约谈 list


def ranking(figures: Sequence[Figures], n: int = RANKING_SIZE) -> tuple[list[Figures], list[Figures]]:
    """前三后三 among the subjects with a score: best first by score, then more cases to
    handle, then id; the bottom (worst first) never repeats a subject of the top."""
    scored = sorted(
        (f for f in figures if f.score is not None),
        key=lambda f: (-(f.score or 0.0), -f.to_handle, f.subject),
    )
    top = scored[:n]
    rest = scored[len(top):]
    bottom = list(reversed(rest[-n:]))
    return top, bottom


# -- grid-worker points ----------------------------------------------------------------------
@dataclass
class WorkerPoints:
    member_id: int
    name: str
    ref: str = ""
    rules: Mapping[str, int] = field(default_factory=lambda: POINTS, repr=False)
    reports: int = 0
    on_spot: int = 0  # reviewed on-the-spot records
    on_spot_unreviewed: int = 0
    verifications: int = 0
    duplicates: int = 0
    cancelled: int = 0

    @property
    def points(self) -> int:
        r = self.rules
        return (
            r["report"] * self.reports
            + r["report_on_spot"] * self.on_spot
            + r["verification"] * self.verifications
            + r["duplicate"] * self.duplicates
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.ref or str(self.member_id),
            "name": self.name,
            "points": self.points,
            "reports": self.reports,
            "on_spot": self.on_spot,
            "on_spot_unreviewed": self.on_spot_unreviewed,
            "verifications": self.verifications,
            "duplicates": self.duplicates,
            "cancelled": self.cancelled,
        }


def worker_points(
    views: Iterable[CaseView], rules: Mapping[str, int] = POINTS
) -> tuple[dict[int, WorkerPoints], dict[int, int]]:
    """Points per grid worker (member id), and the points each case earned (for its grids).
    Reports count in the period they were made; a duplicate costs its reporter; a cancelled
    report earns nothing; 现场处置 earns its extra once reviewed."""
    workers: dict[int, WorkerPoints] = {}
    per_case: dict[int, int] = {}

    def of(mid: int) -> WorkerPoints:
        if mid not in workers:
            workers[mid] = WorkerPoints(mid, str(mid), rules=rules)
        return workers[mid]

    for v in views:
        earned = 0
        if v.reported_in_p and v.reporter_id is not None and v.reporter_role == "grid_worker":
            w = of(v.reporter_id)
            if v.excluded == "duplicate":
                w.duplicates += 1
                earned += rules["duplicate"]
            elif v.excluded == "cancelled":
                w.cancelled += 1
            else:
                w.reports += 1
                earned += rules["report"]
                if v.on_spot and v.reviewed:
                    w.on_spot += 1
                    earned += rules["report_on_spot"]
                elif v.on_spot:
                    w.on_spot_unreviewed += 1
        for mid in v.verifiers:
            of(mid).verifications += 1
            earned += rules["verification"]
        if earned:
            per_case[v.case_id] = earned
    return workers, per_case
