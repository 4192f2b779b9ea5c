"""Duplicate reports: the same problem reported again near an open case.

A new report is linked to an open case of the same category when it was made within
the time window, is within the distance (or in the same unit grid when a point is
missing), and its text is similar enough."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from dispatch.domain.case import Case
from dispatch.domain.status import CaseStatus

LINKABLE = frozenset(
    {
        CaseStatus.NEW,
        CaseStatus.TRIAGE,
        CaseStatus.DISPATCHED,
        CaseStatus.ACCEPTED,
        CaseStatus.REOPENED,
        CaseStatus.RETURNED,
    }
)
_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass(frozen=True)
class DuplicatePolicy:
    distance_m: float = 150.0
    window_hours: float = 72.0
    min_similarity: float = 0.1
    enabled: bool = True


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def _bigrams(text: str) -> set[str]:
    t = _STRIP.sub("", text.lower())
    return {t[i : i + 2] for i in range(len(t) - 1)} or ({t} if t else set())


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of character bigrams (0–1)."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / len(x | y)


@dataclass(frozen=True)
class Match:
    case: Case
    distance_m: float | None
    similarity: float


def find_duplicate(
    text: str,
    category: str,
    lat: float | None,
    lon: float | None,
    grid_id: str | None,
    now: datetime,
    candidates: Iterable[Case],
    policy: DuplicatePolicy,
) -> Match | None:
    if not policy.enabled:
        return None
    since = now - timedelta(hours=policy.window_hours)
    best: Match | None = None
    for c in candidates:
        if c.category != category or c.status not in LINKABLE or c.created_at < since:
            continue
        if lat is not None and lon is not None and c.lat is not None and c.lon is not None:
            distance: float | None = haversine_m(lat, lon, c.lat, c.lon)
            if distance > policy.distance_m:  # type: ignore[operator]
                continue
        elif grid_id is not None and c.grid_id == grid_id:
            distance = None
        else:
            continue
        sim = similarity(text, c.description)
        if sim < policy.min_similarity:
            continue
        key = (sim, -(distance or 0.0))
        if best is None or key > (best.similarity, -(best.distance_m or 0.0)):
            best = Match(c, distance, sim)
    return best
