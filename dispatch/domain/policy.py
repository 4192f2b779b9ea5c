"""The closed-loop policy (处置时限, 提醒, 督办, 核查, 评价, 重复上报) as one document.

Pure: `parse_policy` turns a plain mapping (from YAML, JSON or a console form) into a
`Policy`, or raises a `PolicyError` naming the field; `policy_to_doc` is its inverse. An
empty document is today's behaviour exactly: the taxonomy's hours, around the clock,
reminders at 50 % and 80 %, escalation community → street → county, 核查 required,
default rating after 72 h, duplicates within 150 m / 72 h, no scheduled NLU retraining."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from typing import Any

from dispatch.domain.assessment import (
    GRID_WEIGHTS,
    INTERVIEW_MONTHS,
    POINTS,
    RANKING_SIZE,
    RATE_NAMES,
    TOP_TEN,
    UNIT_WEIGHTS,
)
from dispatch.domain.case import Priority, Rating
from dispatch.domain.deadlines import DeadlinePolicy
from dispatch.domain.duplicates import DuplicatePolicy
from dispatch.domain.errors import DomainError
from dispatch.domain.patrol import PatrolRules
from dispatch.domain.sla import AroundTheClock, Calendar, InTimezone, SlaPolicy, WorkingHours

PRIORITIES: dict[str, int] = {
    "normal": Priority.NORMAL,
    "urgent": Priority.URGENT,
    "emergency": Priority.EMERGENCY,
}
PRIORITY_NAMES = {v: k for k, v in PRIORITIES.items()}
DEFAULT_PRIORITY_FACTORS: dict[int, float] = dict(SlaPolicy(category_hours={}).priority_factor)
ESCALATION_LEVELS = (3, 2, 1)  # community, street, county: the levels above a unit grid
MAX_HOURS = 8760.0  # a year
MAX_FACTOR = 10.0
MAX_DISTANCE_M = 100_000.0
AROUND_THE_CLOCK, WORKING_HOURS = "around_the_clock", "working_hours"
SECTIONS = (
    "time_limits", "calendar", "reminders", "escalation", "verification", "rating", "duplicates", "nlu",
    "assessment", "retention", "patrol",
)
MAX_DAYS = 365.0
MAX_RETENTION_DAYS = 3650.0  # ten years
POINT_RULES = ("report", "report_on_spot", "verification", "duplicate")
MAX_POINTS = 100

# One line per problem; `PolicyError.code` picks it (the console has a Chinese twin in texts).
MESSAGES = {
    "document": "must be a mapping of sections (" + ", ".join(SECTIONS) + ")",
    "unknown_field": "unknown field (known: {known})",
    "mapping": "must be a mapping",
    "list": "must be a list",
    "bool": "must be true or false",
    "hours": "must be a number of hours > 0 and ≤ {max:g}",
    "factor": "must be a number > 0 and ≤ {max:g}",
    "share": "must be a number between 0 and 1 (both exclusive)",
    "fraction": "must be a number between 0 and 1",
    "distance": "must be a number of metres > 0 and ≤ {max:g}",
    "increasing": "must increase from one entry to the next",
    "unknown_category": "unknown category {id!r}",
    "unknown_unit": "unknown unit {id!r}",
    "unknown_priority": "unknown priority {id!r} (normal, urgent or emergency)",
    "mode": f"must be {AROUND_THE_CLOCK} or {WORKING_HOURS}",
    "time": 'must be a time of day "HH:MM" (quote it in YAML)',
    "date": "must be a date YYYY-MM-DD",
    "closes": "must be later than opens",
    "both_days": "{day} is both a holiday and an extra workday",
    "level": "must list grid levels 3 (community), 2 (street), 1 (county), each once, nearest first",
    "rating": "must be one of " + ", ".join(r.value for r in Rating),
    "duplicate": "given twice",
    "points": "must be a whole number of points between -{max} and {max}",
    "weight": "must be a whole number between -100 and 100 (negative: lower is better)",
    "days": "must be a number of days > 0 and ≤ {max:g}",
    "positive": "must be a number > 0 and ≤ {max:g}",
    "range": "must be a whole number between {min} and {max}",
    "count": "must be a whole number between 1 and {max}",
    "every": "must be week or month",
    "chat": "must be a Telegram chat id (a whole number), or empty for none",
}


class PolicyError(DomainError):
    """Invalid policy input. `field` is the dotted path (time_limits.categories.garbage),
    `code` a key of MESSAGES, `params` what the message names."""

    def __init__(self, field_path: str, code: str, **params: Any) -> None:
        self.field = field_path
        self.code = code
        self.params = params
        super().__init__(f"{field_path}: {MESSAGES[code].format(**params)}")


@dataclass(frozen=True)
class CalendarPolicy:
    """How hours count: around the clock, or working hours (工作时) in local time."""

    working_hours: bool = False
    opens: time = time(8, 30)
    closes: time = time(17, 30)
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()  # 调休: a weekend day worked

    def build(self, tz: tzinfo | None = None) -> Calendar:
        if not self.working_hours:
            return AroundTheClock()
        hours = WorkingHours(self.opens, self.closes, self.holidays, self.extra_workdays)
        return hours if tz is None else InTimezone(hours, tz)


@dataclass(frozen=True)
class BulletinPolicy:
    """通报: the period's report sent to the leaders' group on a schedule, in local time.
    `every`: week (on `weekday`, 1 = Monday) or month (on `day`); the report is of the
    period before the one the moment falls in. No `chat_id`: no 通报."""

    chat_id: int | None = None
    every: str = "month"
    weekday: int = 1
    day: int = 1
    at: time = time(9, 0)


@dataclass(frozen=True)
class AssessmentPolicy:
    """Grid-worker points (积分), the score weights, the sizes of the rankings and labels,
    the 约谈 run and the 通报 schedule (docs/assessment.md)."""

    points: Mapping[str, int] = field(default_factory=lambda: dict(POINTS))
    unit_weights: Mapping[str, int] = field(default_factory=lambda: dict(UNIT_WEIGHTS))
    grid_weights: Mapping[str, int] = field(default_factory=lambda: dict(GRID_WEIGHTS))
    ranking_size: int = RANKING_SIZE  # 前三后三: how many at the top and at the bottom
    label_size: int = RANKING_SIZE  # the quarter's 奔牛 / 蜗牛, each
    top_grids: int = TOP_TEN  # the year's 十佳网格
    interview_months: int = INTERVIEW_MONTHS  # in the bottom this many months running: 约谈
    bulletin: BulletinPolicy = field(default_factory=BulletinPolicy)


@dataclass(frozen=True)
class RetrainPolicy:
    """`gridbot nlu retrain` on a schedule: every `every_days`, run by the scheduler."""

    enabled: bool = False
    every_days: float = 7.0


@dataclass(frozen=True)
class PatrolPolicy:
    """Patrols (巡查, docs/patrols.md): the track's rules, the 电子围栏 thresholds, attendance,
    the grid leaders' morning message (local time) and how long tracks are kept."""

    rules: PatrolRules = field(default_factory=PatrolRules)
    weekly_days: int = 2  # 每周巡查不少于2日
    min_day_minutes: float = 30.0  # a day counts when its patrols last this long together
    coverage_radius_m: float = 50.0
    digest_time: time = time(8, 0)
    retention_days: float = 90.0


@dataclass(frozen=True)
class RetentionPolicy:
    """Residents' personal data is anonymised `anonymise_after_days` after their case closed
    (`dispatch/service/retention.py`, run by the scheduler; docs/policy.md says what goes)."""

    enabled: bool = True
    anonymise_after_days: float = 365.0


@dataclass(frozen=True)
class Policy:
    category_hours: Mapping[str, float] = field(default_factory=dict)  # over the taxonomy's
    unit_hours: Mapping[str, float] = field(default_factory=dict)
    unit_category_hours: Mapping[tuple[str, str], float] = field(default_factory=dict)
    priority_factors: Mapping[int, float] = field(default_factory=lambda: dict(DEFAULT_PRIORITY_FACTORS))
    calendar: CalendarPolicy = field(default_factory=CalendarPolicy)
    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    require_verification: bool = True
    duplicates: DuplicatePolicy = field(default_factory=DuplicatePolicy)
    assessment: AssessmentPolicy = field(default_factory=lambda: AssessmentPolicy())
    nlu_retrain: RetrainPolicy = field(default_factory=RetrainPolicy)
    patrol: PatrolPolicy = field(default_factory=PatrolPolicy)
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)

    def sla(self, taxonomy_hours: Mapping[str, float], tz: tzinfo | None = None) -> SlaPolicy:
        """The time limits: the taxonomy's hours with this policy's overrides."""
        return SlaPolicy(
            category_hours={**taxonomy_hours, **self.category_hours},
            unit_category_hours=dict(self.unit_category_hours),
            unit_hours=dict(self.unit_hours),
            priority_factor=dict(self.priority_factors),
            calendar=self.calendar.build(tz),
        )


# -- parsing ------------------------------------------------------------------------------------
class _Reader:
    """Checks one mapping: known keys only, typed values, every error naming its path."""

    def __init__(self, raw: Any, path: str, known: Collection[str]) -> None:
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            raise PolicyError(path or "policy", "mapping" if path else "document")
        for key in raw:
            if key not in known:
                raise PolicyError(_join(path, str(key)), "unknown_field", known=", ".join(known))
        self.raw = raw
        self.path = path

    def at(self, key: str) -> str:
        return _join(self.path, key)

    def has(self, key: str) -> bool:
        return self.raw.get(key) is not None

    def get(self, key: str) -> Any:
        return self.raw.get(key)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _number(value: Any, path: str, code: str, **params: Any) -> float:
    if isinstance(value, bool):
        raise PolicyError(path, code, **params)
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise PolicyError(path, code, **params) from None
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise PolicyError(path, code, **params)
    return float(value)


def _hours(value: Any, path: str) -> float:
    hours = _number(value, path, "hours", max=MAX_HOURS)
    if not 0 < hours <= MAX_HOURS:
        raise PolicyError(path, "hours", max=MAX_HOURS)
    return hours


def _optional_hours(value: Any, path: str) -> float | None:
    return None if value is None or value == "" else _hours(value, path)


def _bool(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    raise PolicyError(path, "bool")


def _time(value: Any, path: str) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        try:
            return time.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PolicyError(path, "time")


def _dates(value: Any, path: str) -> frozenset[date]:
    if value is None:
        return frozenset()
    if not isinstance(value, list | tuple):
        raise PolicyError(path, "list")
    out: set[date] = set()
    for i, item in enumerate(value):
        if isinstance(item, date) and not isinstance(item, datetime):
            out.add(item)
            continue
        try:
            out.add(date.fromisoformat(str(item).strip()))
        except ValueError:
            raise PolicyError(f"{path}[{i}]", "date") from None
    return frozenset(out)


def _ids(raw: Any, path: str, known: Collection[str] | None, code: str) -> list[tuple[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        raise PolicyError(path, "mapping")
    out = []
    for key, value in raw.items():
        key = str(key)
        if known is not None and key not in known:
            raise PolicyError(_join(path, key), code, id=key)
        out.append((key, value))
    return out


def _time_limits(
    raw: Any, categories: Collection[str] | None, units: Collection[str] | None
) -> dict[str, Any]:
    r = _Reader(raw, "time_limits", ("categories", "units", "unit_categories", "priority_factors"))
    cats = {
        c: _hours(v, r.at(f"categories.{c}"))
        for c, v in _ids(r.get("categories"), r.at("categories"), categories, "unknown_category")
    }
    unit_hours = {
        u: _hours(v, r.at(f"units.{u}"))
        for u, v in _ids(r.get("units"), r.at("units"), units, "unknown_unit")
    }
    pairs: dict[tuple[str, str], float] = {}
    for u, per_cat in _ids(r.get("unit_categories"), r.at("unit_categories"), units, "unknown_unit"):
        where = r.at(f"unit_categories.{u}")
        for c, v in _ids(per_cat, where, categories, "unknown_category"):
            pairs[(u, c)] = _hours(v, f"{where}.{c}")
    factors = dict(DEFAULT_PRIORITY_FACTORS)
    for name, v in _ids(r.get("priority_factors"), r.at("priority_factors"), PRIORITIES, "unknown_priority"):
        where = r.at(f"priority_factors.{name}")
        f = _number(v, where, "factor", max=MAX_FACTOR)
        if not 0 < f <= MAX_FACTOR:
            raise PolicyError(where, "factor", max=MAX_FACTOR)
        factors[PRIORITIES[name]] = f
    return {
        "category_hours": cats,
        "unit_hours": unit_hours,
        "unit_category_hours": pairs,
        "priority_factors": factors,
    }


def _calendar(raw: Any) -> CalendarPolicy:
    r = _Reader(raw, "calendar", ("mode", "opens", "closes", "holidays", "extra_workdays"))
    d = CalendarPolicy()
    mode = r.get("mode") or AROUND_THE_CLOCK
    if mode not in (AROUND_THE_CLOCK, WORKING_HOURS):
        raise PolicyError(r.at("mode"), "mode")
    opens = _time(r.get("opens"), r.at("opens")) if r.has("opens") else d.opens
    closes = _time(r.get("closes"), r.at("closes")) if r.has("closes") else d.closes
    if closes <= opens:
        raise PolicyError(r.at("closes"), "closes")
    holidays = _dates(r.get("holidays"), r.at("holidays"))
    extra = _dates(r.get("extra_workdays"), r.at("extra_workdays"))
    if both := sorted(holidays & extra):
        raise PolicyError(r.at("extra_workdays"), "both_days", day=both[0].isoformat())
    return CalendarPolicy(mode == WORKING_HOURS, opens, closes, holidays, extra)


def _shares(raw: Any, path: str) -> tuple[float, ...]:
    if not isinstance(raw, list | tuple):
        raise PolicyError(path, "list")
    shares: list[float] = []
    for i, v in enumerate(raw):
        s = _number(v, f"{path}[{i}]", "share")
        if not 0 < s < 1:
            raise PolicyError(f"{path}[{i}]", "share")
        if shares and s <= shares[-1]:
            raise PolicyError(path, "increasing")
        shares.append(s)
    return tuple(shares)


def _levels(raw: Any, path: str) -> tuple[int, ...]:
    if not isinstance(raw, list | tuple):
        raise PolicyError(path, "list")
    levels: list[int] = []
    for v in raw:
        if isinstance(v, bool) or not isinstance(v, int) or v not in ESCALATION_LEVELS:
            raise PolicyError(path, "level")
        if levels and v >= levels[-1]:
            raise PolicyError(path, "level")
        levels.append(v)
    return tuple(levels)


def _deadlines(doc: Mapping[str, Any]) -> tuple[DeadlinePolicy, bool]:
    d = DeadlinePolicy()
    rem = _Reader(doc.get("reminders"), "reminders", ("shares",))
    shares = _shares(rem.get("shares"), rem.at("shares")) if rem.has("shares") else d.reminder_shares
    esc = _Reader(doc.get("escalation"), "escalation", ("levels", "interval_hours"))
    levels = _levels(esc.get("levels"), esc.at("levels")) if esc.has("levels") else d.escalation_levels
    interval = _optional_hours(esc.get("interval_hours"), esc.at("interval_hours"))
    ver = _Reader(doc.get("verification"), "verification", ("required", "timeout_hours"))
    required = _bool(ver.get("required"), ver.at("required")) if ver.has("required") else True
    vt = _optional_hours(ver.get("timeout_hours"), ver.at("timeout_hours"))
    rat = _Reader(doc.get("rating"), "rating", ("timeout_hours", "default"))
    timeout = (
        _hours(rat.get("timeout_hours"), rat.at("timeout_hours"))
        if rat.has("timeout_hours")
        else d.rating_timeout_hours
    )
    default = rat.get("default") if rat.has("default") else d.default_rating
    if default not in {r.value for r in Rating}:
        raise PolicyError(rat.at("default"), "rating")
    policy = DeadlinePolicy(
        reminder_shares=shares,
        escalation_levels=levels,
        escalation_interval_hours=interval,
        rating_timeout_hours=timeout,
        default_rating=str(default),
        verification_timeout_hours=vt,
    )
    return policy, required


def _positive(r: _Reader, key: str, default: float, code: str, limit: float) -> float:
    """An optional number in (0, limit]."""
    if not r.has(key):
        return default
    value = _number(r.get(key), r.at(key), code, max=limit)
    if not 0 < value <= limit:
        raise PolicyError(r.at(key), code, max=limit)
    return value


def _flag(r: _Reader, key: str, default: bool) -> bool:
    return _bool(r.get(key), r.at(key)) if r.has(key) else default


def _duplicates(raw: Any) -> DuplicatePolicy:
    r = _Reader(raw, "duplicates", ("enabled", "distance_m", "window_hours", "min_similarity"))
    d = DuplicatePolicy()
    distance = _positive(r, "distance_m", d.distance_m, "distance", MAX_DISTANCE_M)
    window = _hours(r.get("window_hours"), r.at("window_hours")) if r.has("window_hours") else d.window_hours
    similarity = d.min_similarity
    if r.has("min_similarity"):
        similarity = _number(r.get("min_similarity"), r.at("min_similarity"), "fraction")
        if not 0 <= similarity <= 1:
            raise PolicyError(r.at("min_similarity"), "fraction")
    return DuplicatePolicy(
        distance_m=distance, window_hours=window, min_similarity=similarity,
        enabled=_flag(r, "enabled", d.enabled),
    )


def _whole(value: Any, path: str, code: str, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise PolicyError(path, code, max=limit)
    if not -limit <= int(value) <= limit:
        raise PolicyError(path, code, max=limit)
    return int(value)


# The sizes: key → the largest value allowed.
ASSESSMENT_SIZES = {"ranking_size": 20, "label_size": 20, "top_grids": 100, "interview_months": 12}
BULLETIN_EVERY = ("week", "month")


def _count(r: _Reader, key: str, default: int, limit: int) -> int:
    if not r.has(key):
        return default
    value = r.get(key)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
        raise PolicyError(r.at(key), "count", max=limit)
    return value


def _bulletin(raw: Any) -> BulletinPolicy:
    r = _Reader(raw, "assessment.bulletin", ("chat_id", "every", "weekday", "day", "time"))
    d = BulletinPolicy()
    chat = r.get("chat_id")
    if isinstance(chat, str):
        chat = chat.strip() or None
        if chat is not None:
            try:
                chat = int(chat)
            except ValueError:
                raise PolicyError(r.at("chat_id"), "chat") from None
    if chat is not None and (isinstance(chat, bool) or not isinstance(chat, int)):
        raise PolicyError(r.at("chat_id"), "chat")
    every = r.get("every") if r.has("every") else d.every
    if every not in BULLETIN_EVERY:
        raise PolicyError(r.at("every"), "every")
    return BulletinPolicy(
        chat_id=chat,
        every=str(every),
        weekday=_count(r, "weekday", d.weekday, 7),
        day=_count(r, "day", d.day, 28),
        at=_time(r.get("time"), r.at("time")) if r.has("time") else d.at,
    )


def _assessment(raw: Any) -> AssessmentPolicy:
    r = _Reader(
        raw, "assessment", ("points", "unit_weights", "grid_weights", *ASSESSMENT_SIZES, "bulletin")
    )
    d = AssessmentPolicy()
    points = dict(d.points)
    if r.get("points") is not None:
        pr = _Reader(r.get("points"), r.at("points"), POINT_RULES)
        for key in POINT_RULES:
            if pr.has(key):
                points[key] = _whole(pr.get(key), pr.at(key), "points", MAX_POINTS)
    weights: dict[str, dict[str, int]] = {}
    for name, default in (("unit_weights", d.unit_weights), ("grid_weights", d.grid_weights)):
        raw_w = r.get(name)
        if raw_w is None:
            weights[name] = dict(default)
            continue
        wr = _Reader(raw_w, r.at(name), RATE_NAMES)
        weights[name] = {k: _whole(wr.get(k), wr.at(k), "weight", 100) for k in RATE_NAMES if wr.has(k)}
    sizes = {k: _count(r, k, getattr(d, k), limit) for k, limit in ASSESSMENT_SIZES.items()}
    return AssessmentPolicy(
        points=points,
        unit_weights=weights["unit_weights"],
        grid_weights=weights["grid_weights"],
        ranking_size=sizes["ranking_size"],
        label_size=sizes["label_size"],
        top_grids=sizes["top_grids"],
        interview_months=sizes["interview_months"],
        bulletin=_bulletin(r.get("bulletin")),
    )


def _nlu(raw: Any) -> RetrainPolicy:
    r = _Reader(_Reader(raw, "nlu", ("retrain",)).get("retrain"), "nlu.retrain", ("enabled", "every_days"))
    d = RetrainPolicy()
    return RetrainPolicy(enabled=_flag(r, "enabled", d.enabled),
                         every_days=_positive(r, "every_days", d.every_days, "days", MAX_DAYS))


PATROL_FIELDS = (
    "max_hours", "max_speed_kmh", "max_points", "outside_minutes", "stale_minutes", "weekly_days",
    "min_day_minutes", "coverage_radius_m", "digest_time", "retention_days",
)


def _in_range(r: _Reader, key: str, default: int, low: int, high: int) -> int:
    if not r.has(key):
        return default
    v = r.get(key)
    if isinstance(v, str) and v.strip().isdigit():
        v = int(v.strip())
    if isinstance(v, bool) or not isinstance(v, int | float) or int(v) != v or not low <= int(v) <= high:
        raise PolicyError(r.at(key), "range", min=low, max=high)
    return int(v)


def _patrol(raw: Any) -> PatrolPolicy:
    r = _Reader(raw, "patrol", PATROL_FIELDS)
    d, dr = PatrolPolicy(), PatrolRules()
    rules = PatrolRules(
        max_hours=_positive(r, "max_hours", dr.max_hours, "hours", 24.0),
        max_speed_kmh=_positive(r, "max_speed_kmh", dr.max_speed_kmh, "positive", 1000.0),
        max_points=_in_range(r, "max_points", dr.max_points, 10, 100_000),
        outside_minutes=_positive(r, "outside_minutes", dr.outside_minutes, "positive", 1440.0),
        stale_minutes=_positive(r, "stale_minutes", dr.stale_minutes, "positive", 1440.0),
    )
    return PatrolPolicy(
        rules=rules,
        weekly_days=_in_range(r, "weekly_days", d.weekly_days, 0, 7),
        min_day_minutes=_positive(r, "min_day_minutes", d.min_day_minutes, "positive", 1440.0),
        coverage_radius_m=_positive(r, "coverage_radius_m", d.coverage_radius_m, "distance", 1000.0),
        digest_time=(
            _time(r.get("digest_time"), r.at("digest_time")) if r.has("digest_time") else d.digest_time
        ),
        retention_days=_positive(r, "retention_days", d.retention_days, "days", 3650.0),
    )


def _retention(raw: Any) -> RetentionPolicy:
    r = _Reader(raw, "retention", ("enabled", "anonymise_after_days"))
    d = RetentionPolicy()
    return RetentionPolicy(
        enabled=_flag(r, "enabled", d.enabled),
        anonymise_after_days=_positive(r, "anonymise_after_days", d.anonymise_after_days, "days",
                                       MAX_RETENTION_DAYS),
    )


def parse_policy(
    doc: Any, *, categories: Collection[str] | None = None, units: Collection[str] | None = None
) -> Policy:
    """Validate a whole document. `categories`/`units`: the known ids (None: not checked,
    for a stored document whose ids were checked when it was saved)."""
    top = _Reader(doc, "", SECTIONS)
    deadlines, required = _deadlines(top.raw)
    return Policy(
        **_time_limits(top.get("time_limits"), categories, units),
        calendar=_calendar(top.get("calendar")),
        deadlines=deadlines,
        require_verification=required,
        duplicates=_duplicates(top.get("duplicates")),
        assessment=_assessment(top.get("assessment")),
        nlu_retrain=_nlu(top.get("nlu")),
        patrol=_patrol(top.get("patrol")),
        retention=_retention(top.get("retention")),
    )


# -- back to a document ---------------------------------------------------------------------------
def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def policy_to_doc(policy: Policy, taxonomy_hours: Mapping[str, float] | None = None) -> dict[str, Any]:
    """The document for `policy`, every setting explicit. With `taxonomy_hours` the category
    hours are the effective ones for every category; without, only the overrides."""
    cats = {**(taxonomy_hours or {}), **policy.category_hours}
    pairs: dict[str, dict[str, int | float]] = {}
    for (u, c), h in sorted(policy.unit_category_hours.items()):
        pairs.setdefault(u, {})[c] = _num(h)
    cal, dl, dup = policy.calendar, policy.deadlines, policy.duplicates
    bul = policy.assessment.bulletin
    return {
        "time_limits": {
            "categories": {c: _num(h) for c, h in cats.items()},
            "units": {u: _num(h) for u, h in sorted(policy.unit_hours.items())},
            "unit_categories": pairs,
            "priority_factors": {
                PRIORITY_NAMES.get(p, str(p)): _num(f) for p, f in sorted(policy.priority_factors.items())
            },
        },
        "calendar": {
            "mode": WORKING_HOURS if cal.working_hours else AROUND_THE_CLOCK,
            "opens": cal.opens.strftime("%H:%M"),
            "closes": cal.closes.strftime("%H:%M"),
            "holidays": [d.isoformat() for d in sorted(cal.holidays)],
            "extra_workdays": [d.isoformat() for d in sorted(cal.extra_workdays)],
        },
        "reminders": {"shares": [_num(s) for s in dl.reminder_shares]},
        "escalation": {
            "levels": list(dl.escalation_levels),
            "interval_hours": None
            if dl.escalation_interval_hours is None
            else _num(dl.escalation_interval_hours),
        },
        "verification": {
            "required": policy.require_verification,
            "timeout_hours": None
            if dl.verification_timeout_hours is None
            else _num(dl.verification_timeout_hours),
        },
        "rating": {"timeout_hours": _num(dl.rating_timeout_hours), "default": dl.default_rating},
        "duplicates": {
            "enabled": dup.enabled,
            "distance_m": _num(dup.distance_m),
            "window_hours": _num(dup.window_hours),
            "min_similarity": _num(dup.min_similarity),
        },
        "assessment": {
            "points": dict(policy.assessment.points),
            "unit_weights": dict(policy.assessment.unit_weights),
            "grid_weights": dict(policy.assessment.grid_weights),
            **{k: getattr(policy.assessment, k) for k in ASSESSMENT_SIZES},
            "bulletin": {
                "chat_id": bul.chat_id,
                "every": bul.every,
                "weekday": bul.weekday,
                "day": bul.day,
                "time": bul.at.strftime("%H:%M"),
            },
        },
        "nlu": {
            "retrain": {
                "enabled": policy.nlu_retrain.enabled,
                "every_days": _num(policy.nlu_retrain.every_days),
            }
        },
        "retention": {
            "enabled": policy.retention.enabled,
            "anonymise_after_days": _num(policy.retention.anonymise_after_days),
        },
        "patrol": _patrol_doc(policy.patrol),
    }


def _patrol_doc(p: PatrolPolicy) -> dict[str, Any]:
    r = p.rules
    return {
        "max_hours": _num(r.max_hours),
        "max_speed_kmh": _num(r.max_speed_kmh),
        "max_points": r.max_points,
        "outside_minutes": _num(r.outside_minutes),
        "stale_minutes": _num(r.stale_minutes),
        "weekly_days": p.weekly_days,
        "min_day_minutes": _num(p.min_day_minutes),
        "coverage_radius_m": _num(p.coverage_radius_m),
        "digest_time": p.digest_time.strftime("%H:%M"),
        "retention_days": _num(p.retention_days),
    }
