"""When the 通报 is due and which period it reports (policy `assessment.bulletin`).

Pure: the time is passed in. The moments are local (the county's time zone): weekly on a
weekday at a time, or monthly on a day at a time. At a moment the report is of the period
before the one the moment falls in — the ISO week before, or the month before — so it is
complete. `due` gives the latest moment not after `now`: a moment missed while nothing ran is
caught up once, and never more than the latest one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dispatch.domain.policy import BulletinPolicy


@dataclass(frozen=True, slots=True)
class DuePeriod:
    kind: str  # week / month
    label: str  # 2026-W48 / 2026-11: the period to report
    previous: str  # the period before it, to compare with
    moment: datetime  # the scheduled moment it is due at

    @property
    def key(self) -> str:
        """The durable marker's key: one 通报 per period."""
        return f"{self.kind}:{self.label}"


def _month_before(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def _week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def due(policy: BulletinPolicy, now: datetime, tz: ZoneInfo) -> DuePeriod | None:
    """The period whose 通报 is due at `now` (None: no leaders' group configured)."""
    if policy.chat_id is None:
        return None
    local = now.astimezone(tz)
    today = local.date()
    if policy.every == "week":
        day = today - timedelta(days=(today.isoweekday() - policy.weekday) % 7)
        moment = datetime.combine(day, policy.at, tz)
        if moment > local:
            day -= timedelta(days=7)
            moment = datetime.combine(day, policy.at, tz)
        reported = day - timedelta(days=7)
        return DuePeriod("week", _week_label(reported), _week_label(reported - timedelta(days=7)), moment)
    day = today.replace(day=policy.day)
    moment = datetime.combine(day, policy.at, tz)
    if moment > local:
        day = _month_before(day.replace(day=1)).replace(day=policy.day)
        moment = datetime.combine(day, policy.at, tz)
    reported = _month_before(day.replace(day=1))
    return DuePeriod("month", f"{reported:%Y-%m}", f"{_month_before(reported):%Y-%m}", moment)
