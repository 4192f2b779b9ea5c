"""Patrols (巡查): a grid worker's walk through their grids, from a Telegram live location.

A patrol is open from the first live location until the worker ends it, the live location
stops, or the policy's maximum duration passes. Each location update is judged before it is
stored (`Patrol.add_point`): an update that repeats the last place shortly after, arrives out
of order, or implies an implausible speed is dropped; past `max_points` nothing more is
stored. Every update — stored or not — counts as a sign of life for the stale-location alert.

Per update the aggregate does constant work (distance, time inside the worker's grids and
the fence state are running sums); coverage is computed once, at the end
(`patrol_coverage.py`). The 电子围栏 rules are `FenceState.on_point` / `on_tick`: each alert
once, with one clear when the condition ends. Pure: the time is passed in."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

EARTH_M = 6_371_008.8
SAME_PLACE_M = 5.0  # closer than this to the last stored point: the same place
KEEP_STILL_S = 120.0  # standing still, one point every this many seconds is enough
FUTURE_SKEW_S = 60.0  # an update stamped later than now by more than this is refused


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(min(1.0, math.sqrt(a)))


class EndReason(StrEnum):
    WORKER = "worker"  # ended in chat (button or /patrol)
    STOPPED = "stopped"  # the live location stopped (or its period ran out)
    MAX_DURATION = "max_duration"  # the policy's maximum passed


class Verdict(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"  # the same place again soon after
    OUT_OF_ORDER = "out_of_order"  # not later than the last stored point
    JUMP = "jump"  # faster than anyone patrols
    FULL = "full"  # the patrol holds max_points already
    FUTURE = "future"  # stamped in the future
    CLOSED = "closed"  # the patrol has ended


class FenceKind(StrEnum):
    OUTSIDE = "outside"  # outside the worker's grids for too long
    STALE = "stale"  # the location stopped updating


@dataclass(frozen=True)
class FenceEvent:
    kind: FenceKind
    alert: bool  # True: the alert; False: the condition cleared
    since: datetime  # when the condition began


@dataclass(frozen=True)
class PatrolRules:
    """The patrol settings the domain needs (the `patrol` section of the policy)."""

    max_hours: float = 8.0
    max_speed_kmh: float = 60.0
    max_points: int = 2000
    outside_minutes: float = 15.0
    stale_minutes: float = 10.0


@dataclass(frozen=True, slots=True)
class TrackPoint:
    at: datetime
    lat: float
    lon: float


@dataclass
class FenceState:
    outside_since: datetime | None = None
    outside_alerted: bool = False
    stale_alerted: bool = False
    stale_since: datetime | None = None

    def on_point(self, at: datetime, inside: bool, rules: PatrolRules) -> list[FenceEvent]:
        """A location arrived (stored or not): clears a stale alert; moves the fence."""
        events: list[FenceEvent] = []
        if self.stale_alerted:
            events.append(FenceEvent(FenceKind.STALE, False, self.stale_since or at))
            self.stale_alerted, self.stale_since = False, None
        if inside:
            if self.outside_alerted:
                events.append(FenceEvent(FenceKind.OUTSIDE, False, self.outside_since or at))
            self.outside_since, self.outside_alerted = None, False
            return events
        if self.outside_since is None:
            self.outside_since = at
        events += self._outside_due(at, rules)
        return events

    def on_tick(self, now: datetime, last_seen: datetime, rules: PatrolRules) -> list[FenceEvent]:
        """The scheduler's look: a location silent too long, or still outside too long."""
        events = self._outside_due(now, rules)
        if not self.stale_alerted and now - last_seen >= timedelta(minutes=rules.stale_minutes):
            self.stale_alerted, self.stale_since = True, last_seen
            events.append(FenceEvent(FenceKind.STALE, True, last_seen))
        return events

    def _outside_due(self, now: datetime, rules: PatrolRules) -> list[FenceEvent]:
        since = self.outside_since
        if since is None or self.outside_alerted or now - since < timedelta(minutes=rules.outside_minutes):
            return []
        self.outside_alerted = True
        return [FenceEvent(FenceKind.OUTSIDE, True, since)]

    def to_doc(self) -> dict[str, object]:
        return {
            "outside_since": self.outside_since.isoformat() if self.outside_since else None,
            "outside_alerted": self.outside_alerted,
            "stale_alerted": self.stale_alerted,
            "stale_since": self.stale_since.isoformat() if self.stale_since else None,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, object] | None) -> FenceState:
        doc = doc or {}

        def when(key: str) -> datetime | None:
            v = doc.get(key)
            return datetime.fromisoformat(v) if isinstance(v, str) else None

        return cls(when("outside_since"), bool(doc.get("outside_alerted")), bool(doc.get("stale_alerted")),
                   when("stale_since"))


@dataclass
class Patrol:
    """One patrol. `last` is the last stored point; `last_seen` the last update of any kind."""

    member_id: int
    tg_id: int
    message_id: int  # the live location message whose edits are this patrol's updates
    started_at: datetime
    grids: tuple[str, ...]  # the worker's grids when it started (the fence)
    live_until: datetime | None = None
    id: int | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None
    last: TrackPoint | None = None
    last_inside: bool = False
    last_seen: datetime | None = None
    points: int = 0
    dropped: int = 0
    distance_m: float = 0.0
    inside_s: float = 0.0
    fence: FenceState = field(default_factory=FenceState)
    ok: bool = False  # the worker marked it 巡查无异常
    summary: dict[str, object] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        return self.ended_at is None

    def duration_s(self, now: datetime | None = None) -> float:
        end = self.ended_at or now or self.last_seen or self.started_at
        return max(0.0, (end - self.started_at).total_seconds())

    def judge(self, p: TrackPoint, now: datetime, rules: PatrolRules) -> Verdict:
        if not self.open:
            return Verdict.CLOSED
        if (p.at - now).total_seconds() > FUTURE_SKEW_S:
            return Verdict.FUTURE
        last = self.last
        if last is None:
            return Verdict.STORED if self.points < rules.max_points else Verdict.FULL
        dt = (p.at - last.at).total_seconds()
        if dt <= 0:
            return Verdict.OUT_OF_ORDER
        d = distance_m(last.lat, last.lon, p.lat, p.lon)
        if d < SAME_PLACE_M and dt < KEEP_STILL_S:
            return Verdict.DUPLICATE
        if d / dt * 3.6 > rules.max_speed_kmh:
            return Verdict.JUMP
        if self.points >= rules.max_points:
            return Verdict.FULL
        return Verdict.STORED

    def add_point(
        self, p: TrackPoint, inside: bool, now: datetime, rules: PatrolRules
    ) -> tuple[Verdict, list[FenceEvent]]:
        """Judge and take one update; `inside`: the point is in the worker's grids."""
        verdict = self.judge(p, now, rules)
        if verdict in (Verdict.CLOSED, Verdict.FUTURE):
            return verdict, []
        if verdict is Verdict.OUT_OF_ORDER:
            self.dropped += 1
            return verdict, []
        self.last_seen = max(self.last_seen or p.at, p.at)
        if verdict is not Verdict.STORED:
            self.dropped += 1
            # a dropped update still says where the worker is, unless it is a jump
            return verdict, [] if verdict is Verdict.JUMP else self.fence.on_point(p.at, inside, rules)
        last = self.last
        if last is not None:
            self.distance_m += distance_m(last.lat, last.lon, p.lat, p.lon)
            if self.last_inside:
                self.inside_s += (p.at - last.at).total_seconds()
        self.last, self.last_inside = p, inside
        self.points += 1
        return verdict, self.fence.on_point(p.at, inside, rules)

    def due_end(self, now: datetime, rules: PatrolRules) -> EndReason | None:
        """Why the scheduler ends this patrol now, if it should."""
        if not self.open:
            return None
        if now - self.started_at >= timedelta(hours=rules.max_hours):
            return EndReason.MAX_DURATION
        if self.live_until is not None and now >= self.live_until:
            return EndReason.STOPPED
        return None

    def end(self, now: datetime, reason: EndReason) -> None:
        if not self.open:
            return
        self.ended_at = now
        self.end_reason = reason.value
