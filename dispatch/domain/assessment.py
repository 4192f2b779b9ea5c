"""Assessment (考核) figures, computed from cases and their event log.

Definitions: docs/assessment.md. "Had to be handled" (应处置) = cases that were
dispatched to the subject during the period (or handled on the spot); rates are None
when their denominator is zero, never a made-up 0 or 100 %."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

GOOD_RATINGS = frozenset({"satisfied", "basically_satisfied"})

# One district's weights (domain.md): 处置率 30, 按期处置率 20, (1−返工率) 20,
# (1−超期待处置率) 20, (1−延期率) 10.
WEIGHTS = {
    "handled_rate": 30,
    "on_time_rate": 20,
    "rework_rate": -20,
    "overdue_open_rate": -20,
    "extension_rate": -10,
}


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What assessment needs of one case (derived from its row and events)."""

    case_id: int
    category: str
    grid_id: str | None
    unit_id: str | None  # the unit that handled it last
    reporter_id: int | None
    reporter_role: str
    reported_at: datetime
    dispatched_at: datetime | None  # first dispatch
    units_dispatched: tuple[str, ...]  # every unit it was dispatched to
    returned_by: tuple[str, ...]  # units that returned it
    due_at: datetime | None
    resolved_at: datetime | None  # first resolution
    resolved_on_time: bool
    reworked: bool
    extended: bool
    on_spot: bool
    closed: bool
    open_at_end: bool
    overdue_at_end: bool
    rating: str | None  # the last rating given


@dataclass
class Figures:
    subject: str
    name: str
    reported: int = 0
    by_grid_workers: int = 0
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
    handling_hours: list[float] = field(default_factory=list)

    @staticmethod
    def _rate(n: int, d: int) -> float | None:
        return n / d if d else None

    @property
    def proactive_rate(self) -> float | None:  # 主动发现率
        return self._rate(self.by_grid_workers, self.reported)

    @property
    def handled_rate(self) -> float | None:  # 处置率
        return self._rate(self.handled, self.to_handle)

    @property
    def on_time_rate(self) -> float | None:  # 按期处置率 / 按期办结率
        return self._rate(self.on_time, self.to_handle)

    @property
    def overdue_open_rate(self) -> float | None:  # 超期待处置率
        return self._rate(self.overdue_open, self.to_handle)

    @property
    def rework_rate(self) -> float | None:  # 返工率
        return self._rate(self.reworked, self.handled)

    @property
    def extension_rate(self) -> float | None:  # 延期率
        return self._rate(self.extended, self.to_handle)

    @property
    def accurate_dispatch_rate(self) -> float | None:  # 准确派遣率
        return self._rate(self.dispatched - self.returned, self.dispatched)

    @property
    def satisfaction_rate(self) -> float | None:  # 满意率
        return self._rate(self.satisfied, self.rated)

    @property
    def mean_handling_hours(self) -> float | None:  # 平均处置时长
        return sum(self.handling_hours) / len(self.handling_hours) if self.handling_hours else None

    @property
    def score(self) -> float | None:
        """Weighted score out of 100; None when nothing had to be handled."""
        if not self.to_handle:
            return None
        total = 0.0
        for name, weight in WEIGHTS.items():
            value = getattr(self, name) or 0.0
            total += weight * value if weight > 0 else -weight * (1 - value)
        return total

    def as_row(self) -> dict[str, object]:
        return {
            "subject": self.subject,
            "name": self.name,
            "reported": self.reported,
            "proactive_rate": self.proactive_rate,
            "to_handle": self.to_handle,
            "handled": self.handled,
            "handled_rate": self.handled_rate,
            "on_time_rate": self.on_time_rate,
            "overdue_open_rate": self.overdue_open_rate,
            "rework_rate": self.rework_rate,
            "extension_rate": self.extension_rate,
            "accurate_dispatch_rate": self.accurate_dispatch_rate,
            "satisfaction_rate": self.satisfaction_rate,
            "mean_handling_hours": self.mean_handling_hours,
            "score": self.score,
        }


def _accumulate(fig: Figures, c: CaseFacts, *, as_handler: bool, as_area: bool) -> None:
    if as_area:
        fig.reported += 1
        fig.by_grid_workers += c.reporter_role == "grid_worker"
    if as_handler or (as_area and (c.dispatched_at or c.on_spot)):
        if c.dispatched_at is not None or c.on_spot:
            fig.to_handle += 1
            if c.resolved_at is not None:
                fig.handled += 1
                fig.on_time += c.resolved_on_time
                if c.dispatched_at is not None:
                    fig.handling_hours.append((c.resolved_at - c.dispatched_at).total_seconds() / 3600)
            fig.overdue_open += c.overdue_at_end
            fig.reworked += c.reworked
            fig.extended += c.extended
        if c.rating is not None:
            fig.rated += 1
            fig.satisfied += c.rating in GOOD_RATINGS


def by_unit(facts: Iterable[CaseFacts], names: dict[str, str]) -> list[Figures]:
    out: dict[str, Figures] = {}
    for c in facts:
        for uid in set(c.units_dispatched):
            fig = out.setdefault(uid, Figures(uid, names.get(uid, uid)))
            fig.dispatched += 1
            fig.returned += uid in c.returned_by
        if c.unit_id is not None and c.unit_id not in c.returned_by:
            _accumulate(
                out.setdefault(c.unit_id, Figures(c.unit_id, names.get(c.unit_id, c.unit_id))),
                c,
                as_handler=True,
                as_area=False,
            )
    return sorted(out.values(), key=lambda f: f.subject)


def by_grid(
    facts: Iterable[CaseFacts], level_of: Callable[[str], str | None], names: dict[str, str]
) -> list[Figures]:
    """Per grid at one level: `level_of` maps a case's grid to its ancestor at that level."""
    out: dict[str, Figures] = {}
    for c in facts:
        if c.grid_id is None:
            continue
        gid = level_of(c.grid_id)
        if gid is None:
            continue
        _accumulate(out.setdefault(gid, Figures(gid, names.get(gid, gid))), c, as_handler=False, as_area=True)
    return sorted(out.values(), key=lambda f: f.subject)


def total(facts: Iterable[CaseFacts]) -> Figures:
    fig = Figures("all", "全部")
    for c in facts:
        _accumulate(fig, c, as_handler=False, as_area=True)
        for uid in set(c.units_dispatched):
            fig.dispatched += 1
            fig.returned += uid in c.returned_by
    return fig


def ranking(figures: list[Figures], n: int = 3) -> tuple[list[Figures], list[Figures]]:
    """前三后三: the top and bottom `n` by score (subjects with a score only)."""
    scored = sorted((f for f in figures if f.score is not None), key=lambda f: (-(f.score or 0), f.subject))
    top = scored[:n]
    bottom = [f for f in reversed(scored[-n:]) if f not in top] if len(scored) > n else []
    return top, bottom


# Grid-worker points (积分): documented rules, applied to the period's events.
POINTS = {
    "report": 1,  # each case a grid worker reported (主动发现)
    "report_on_spot": 2,  # extra for each handled on the spot (小事不出格)
    "verification": 1,  # each 核查 done
    "duplicate": -1,  # a report linked as duplicate of an open case
}


@dataclass
class WorkerPoints:
    member_id: int
    name: str
    reports: int = 0
    on_spot: int = 0
    verifications: int = 0
    duplicates: int = 0

    @property
    def points(self) -> int:
        return (
            POINTS["report"] * self.reports
            + POINTS["report_on_spot"] * self.on_spot
            + POINTS["verification"] * self.verifications
            + POINTS["duplicate"] * self.duplicates
        )


def facts_from_events(
    case_row: dict[str, object], events: list[dict[str, object]], period_end: datetime
) -> CaseFacts:
    """Derive one case's facts from its row and its time-ordered events."""
    dispatched_at: datetime | None = None
    units: list[str] = []
    returned: list[str] = []
    resolved_at: datetime | None = None
    due_when_resolved: datetime | None = None
    current_due: datetime | None = None
    reworked = extended = False
    resolved_now = False  # resolved and not reopened since
    rating: str | None = None
    for e in events:
        at = e["at"]
        assert isinstance(at, datetime)
        if at >= period_end:
            break
        action = e["action"]
        data = e.get("data") or {}
        assert isinstance(data, dict)
        if action in ("dispatched", "reassigned"):
            dispatched_at = dispatched_at or at
            if data.get("unit_id"):
                units.append(str(data["unit_id"]))
            if data.get("due_at"):
                current_due = datetime.fromisoformat(str(data["due_at"]))
        elif action == "returned" and data.get("unit_id"):
            returned.append(str(data["unit_id"]))
        elif action in ("resolved", "resolved_on_spot"):
            resolved_now = True
            if resolved_at is None:
                resolved_at = at
                due_when_resolved = current_due
        elif action == "reopened":
            reworked = True
            resolved_now = False
        elif action == "extended":
            extended = True
            if data.get("due_at"):
                current_due = datetime.fromisoformat(str(data["due_at"]))
        if data.get("rating"):
            rating = str(data["rating"])
    status = str(case_row["status"])
    open_at_end = status not in ("closed", "cancelled", "duplicate") or (
        case_row.get("closed_at") is not None and case_row["closed_at"] >= period_end  # type: ignore[operator]
    )
    overdue = bool(open_at_end and not resolved_now and current_due is not None and current_due < period_end)
    on_spot = bool(case_row.get("on_spot"))
    on_time = resolved_at is not None and (
        on_spot or due_when_resolved is None or resolved_at <= due_when_resolved
    )
    return CaseFacts(
        case_id=int(str(case_row["id"])),
        category=str(case_row["category"]),
        grid_id=case_row.get("grid_id"),  # type: ignore[arg-type]
        unit_id=units[-1] if units else None,
        reporter_id=case_row.get("reporter_id"),  # type: ignore[arg-type]
        reporter_role=str(case_row.get("reporter_role") or "resident"),
        reported_at=case_row["created_at"],  # type: ignore[arg-type]
        dispatched_at=dispatched_at,
        units_dispatched=tuple(units),
        returned_by=tuple(returned),
        due_at=current_due,
        resolved_at=resolved_at,
        resolved_on_time=on_time,
        reworked=reworked,
        extended=extended,
        on_spot=on_spot,
        closed=status == "closed",
        open_at_end=open_at_end and status not in ("cancelled", "duplicate"),
        overdue_at_end=overdue,
        rating=rating,
    )


def group_events(rows: Iterable[dict[str, object]]) -> dict[int, list[dict[str, object]]]:
    out: dict[int, list[dict[str, object]]] = defaultdict(list)
    for r in rows:
        out[int(str(r["case_id"]))].append(r)
    return out
