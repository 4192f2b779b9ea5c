"""Time limits (处置时限): due_at from the category's hours, with overrides.

The clock is always passed in. A calendar decides how hours are counted: around
the clock by default; a working-hours calendar (工作时) is a drop-in replacement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Protocol

from dispatch.domain.case import Priority
from dispatch.domain.errors import DomainError


class Calendar(Protocol):
    def add_hours(self, start: datetime, hours: float) -> datetime: ...


class AroundTheClock:
    def add_hours(self, start: datetime, hours: float) -> datetime:
        return start + timedelta(hours=hours)


@dataclass(frozen=True)
class WorkingHours:
    """Counts only working time: weekdays between `opens` and `closes`, minus holidays,
    plus make-up working days (调休). `start` must be timezone-aware; hours are counted
    in its timezone."""

    opens: time = time(8, 30)
    closes: time = time(17, 30)
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_hours(self, start: datetime, hours: float) -> datetime:
        if start.tzinfo is None:
            raise DomainError("start must be timezone-aware")
        remaining = timedelta(hours=hours)
        current = start
        for _ in range(3660):  # at most ten years of days
            day = current.date()
            open_at = datetime.combine(day, self.opens, current.tzinfo)
            close_at = datetime.combine(day, self.closes, current.tzinfo)
            if self.is_workday(day) and current < close_at:
                current = max(current, open_at)
                available = close_at - current
                if remaining <= available:
                    return current + remaining
                remaining -= available
            current = datetime.combine(day + timedelta(days=1), time(0), current.tzinfo)
        raise DomainError("working-hours calendar has no working time")


@dataclass(frozen=True)
class InTimezone:
    """Counts `inner`'s hours in the local time of `tz` (working hours are local hours);
    the result comes back in the start's timezone."""

    inner: Calendar
    tz: tzinfo

    def add_hours(self, start: datetime, hours: float) -> datetime:
        if start.tzinfo is None:
            raise DomainError("start must be timezone-aware")
        return self.inner.add_hours(start.astimezone(self.tz), hours).astimezone(start.tzinfo)


@dataclass
class SlaPolicy:
    """Hours allowed from dispatch to resolution.

    Lookup order: (unit, category) → unit → category; then the priority factor
    (an emergency gets a fraction of the normal time)."""

    category_hours: Mapping[str, float]
    unit_category_hours: Mapping[tuple[str, str], float] = field(default_factory=dict)
    unit_hours: Mapping[str, float] = field(default_factory=dict)
    priority_factor: Mapping[int, float] = field(
        default_factory=lambda: {Priority.NORMAL: 1.0, Priority.URGENT: 0.5, Priority.EMERGENCY: 0.25}
    )
    default_hours: float = 24.0
    calendar: Calendar = field(default_factory=AroundTheClock)

    def hours_for(self, category: str, unit_id: str | None, priority: int) -> float:
        hours: float | None = None
        if unit_id is not None:
            hours = self.unit_category_hours.get((unit_id, category))
            if hours is None:
                hours = self.unit_hours.get(unit_id)
        if hours is None:
            hours = self.category_hours.get(category, self.default_hours)
        return hours * self.priority_factor.get(priority, 1.0)

    def due_at(self, category: str, unit_id: str | None, priority: int, start: datetime) -> datetime:
        if start.tzinfo is None:
            raise DomainError("start must be timezone-aware")
        return self.calendar.add_hours(start, self.hours_for(category, unit_id, priority))
