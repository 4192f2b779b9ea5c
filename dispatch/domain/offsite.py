"""非现场检查: was a hotline order's problem found first by a grid worker?

A hotline order counts as found first (主动发现) when a grid worker reported a case of the same
category, in the same unit grid or within `distance_m` of it, in the `window` before the call.
Otherwise it is 未主动发现, counted against the grid and the grid workers who cover it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from dispatch.domain.duplicates import haversine_m


@dataclass(frozen=True, slots=True)
class Sighting:
    """A case, as far as the check needs it."""

    number: str
    category: str
    at: datetime
    grid_id: str | None
    lat: float | None
    lon: float | None


@dataclass(frozen=True, slots=True)
class OffsiteRule:
    window: timedelta = timedelta(hours=72)
    distance_m: float = 300.0


def found_first(order: Sighting, grid_reports: Iterable[Sighting], rule: OffsiteRule) -> Sighting | None:
    """The earliest grid worker's report that found the problem before the call, if any."""
    best: Sighting | None = None
    for r in grid_reports:
        if r.category != order.category or not order.at - rule.window <= r.at <= order.at:
            continue
        same_grid = order.grid_id is not None and r.grid_id == order.grid_id
        near = (
            None not in (order.lat, order.lon, r.lat, r.lon)
            and haversine_m(order.lat, order.lon, r.lat, r.lon) <= rule.distance_m  # type: ignore[arg-type]
        )
        if (same_grid or near) and (best is None or r.at < best.at):
            best = r
    return best


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
