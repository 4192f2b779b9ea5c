"""The policy document: defaults equal the built-in behaviour, bad input is refused with the
field named, time limits follow overrides, priority factors and the working-hours calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from dispatch.domain.case import Priority
from dispatch.domain.deadlines import DeadlinePolicy
from dispatch.domain.duplicates import DuplicatePolicy
from dispatch.domain.policy import Policy, PolicyError, parse_policy, policy_to_doc
from dispatch.domain.sla import AroundTheClock, SlaPolicy
from dispatch.domain.taxonomy import load_taxonomy
from dispatch.service.registry import taxonomy_hours

CATS = load_taxonomy().category_ids
UNITS = {"zf-chengguan", "hw-chengqu", "yl-binjiang-park"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def example() -> Any:
    text = resources.files("gridbot").joinpath("demo/policy.example.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def test_empty_document_is_todays_behaviour() -> None:
    for doc in (None, {}, {"time_limits": {}, "calendar": None}):
        policy = parse_policy(doc, categories=CATS, units=UNITS)
        assert policy == Policy()
    policy = Policy()
    assert policy.deadlines == DeadlinePolicy() and policy.duplicates == DuplicatePolicy()
    assert policy.require_verification is True
    hours = taxonomy_hours(load_taxonomy())
    sla, legacy = policy.sla(hours, SHANGHAI), SlaPolicy(hours)
    assert isinstance(sla.calendar, AroundTheClock)
    assert dict(sla.priority_factor) == dict(legacy.priority_factor)
    start = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # a Friday evening in Shanghai
    for cat in CATS:
        for prio in (Priority.NORMAL, Priority.URGENT, Priority.EMERGENCY):
            assert sla.due_at(cat, "zf-chengguan", prio, start) == legacy.due_at(cat, "zf-chengguan", prio, start)


def test_example_parses_and_round_trips() -> None:
    policy = parse_policy(example(), categories=CATS, units=UNITS)
    assert policy.category_hours == {"garbage": 3, "road_facility": 16}
    assert policy.unit_hours == {"yl-binjiang-park": 48}
    assert policy.unit_category_hours == {("zf-chengguan", "street_vending"): 1.5}
    assert policy.calendar.working_hours and date(2026, 10, 1) in policy.calendar.holidays
    assert policy.deadlines.escalation_interval_hours == 4
    assert policy.deadlines.verification_timeout_hours == 48
    doc = policy_to_doc(policy)
    assert parse_policy(yaml.safe_load(yaml.safe_dump(doc)), categories=CATS, units=UNITS) == policy
    effective = policy_to_doc(policy, taxonomy_hours(load_taxonomy()))
    assert effective["time_limits"]["categories"]["garbage"] == 3
    assert effective["time_limits"]["categories"]["street_vending"] == 2  # from the taxonomy


@pytest.mark.parametrize(
    ("doc", "field", "code"),
    [
        ([1, 2], "policy", "document"),
        ({"time_limit": {}}, "time_limit", "unknown_field"),
        ({"time_limits": {"categories": {"garbage": 0}}}, "time_limits.categories.garbage", "hours"),
        ({"time_limits": {"categories": {"garbage": -2}}}, "time_limits.categories.garbage", "hours"),
        ({"time_limits": {"categories": {"garbage": "soon"}}}, "time_limits.categories.garbage", "hours"),
        ({"time_limits": {"categories": {"garbage": True}}}, "time_limits.categories.garbage", "hours"),
        ({"time_limits": {"categories": {"garbage": float("nan")}}}, "time_limits.categories.garbage", "hours"),
        ({"time_limits": {"categories": {"rubbish": 3}}}, "time_limits.categories.rubbish", "unknown_category"),
        ({"time_limits": {"units": {"no-such-unit": 3}}}, "time_limits.units.no-such-unit", "unknown_unit"),
        ({"time_limits": {"unit_categories": {"zf-chengguan": {"nope": 1}}}},
         "time_limits.unit_categories.zf-chengguan.nope", "unknown_category"),
        ({"time_limits": {"unit_categories": {"zf-chengguan": 3}}},
         "time_limits.unit_categories.zf-chengguan", "mapping"),
        ({"time_limits": {"priority_factors": {"urgent": 0}}}, "time_limits.priority_factors.urgent", "factor"),
        ({"time_limits": {"priority_factors": {"vip": 0.5}}}, "time_limits.priority_factors.vip",
         "unknown_priority"),
        ({"calendar": {"mode": "office"}}, "calendar.mode", "mode"),
        ({"calendar": {"opens": 510}}, "calendar.opens", "time"),  # YAML's reading of 8:30
        ({"calendar": {"opens": "18:00", "closes": "09:00"}}, "calendar.closes", "closes"),
        ({"calendar": {"holidays": ["2026-13-01"]}}, "calendar.holidays[0]", "date"),
        ({"calendar": {"holidays": "2026-10-01"}}, "calendar.holidays", "list"),
        ({"calendar": {"holidays": ["2026-10-01"], "extra_workdays": ["2026-10-01"]}},
         "calendar.extra_workdays", "both_days"),
        ({"reminders": {"shares": [0.5, 1.0]}}, "reminders.shares[1]", "share"),
        ({"reminders": {"shares": [0.8, 0.5]}}, "reminders.shares", "increasing"),
        ({"reminders": {"shares": 0.5}}, "reminders.shares", "list"),
        ({"escalation": {"levels": [1, 2, 3]}}, "escalation.levels", "level"),
        ({"escalation": {"levels": [4]}}, "escalation.levels", "level"),
        ({"escalation": {"levels": [3, 3]}}, "escalation.levels", "level"),
        ({"escalation": {"interval_hours": 0}}, "escalation.interval_hours", "hours"),
        ({"verification": {"required": "yes"}}, "verification.required", "bool"),
        ({"verification": {"timeout_hours": -1}}, "verification.timeout_hours", "hours"),
        ({"rating": {"default": "great"}}, "rating.default", "rating"),
        ({"rating": {"timeout_hours": 10_000}}, "rating.timeout_hours", "hours"),
        ({"duplicates": {"distance_m": 0}}, "duplicates.distance_m", "distance"),
        ({"duplicates": {"min_similarity": 1.5}}, "duplicates.min_similarity", "fraction"),
        ({"duplicates": {"radius": 100}}, "duplicates.radius", "unknown_field"),
    ],
)
def test_bad_input_names_the_field(doc: Any, field: str, code: str) -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy(doc, categories=CATS, units=UNITS)
    assert (err.value.field, err.value.code) == (field, code)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{field}: ")


def test_stored_documents_are_read_without_id_checks() -> None:
    """Ids were checked when the policy was saved; a unit's id is never refused later."""
    policy = parse_policy({"time_limits": {"units": {"gone": 5}}})
    assert policy.unit_hours == {"gone": 5}


def test_unit_category_beats_unit_beats_category_then_priority_factor() -> None:
    policy = parse_policy(
        {
            "time_limits": {
                "categories": {"street_vending": 3},
                "units": {"zf-chengguan": 6},
                "unit_categories": {"zf-chengguan": {"street_vending": 1.5}},
                "priority_factors": {"emergency": 0.5},
            }
        },
        categories=CATS,
        units=UNITS,
    )
    sla = policy.sla(taxonomy_hours(load_taxonomy()), SHANGHAI)
    assert sla.hours_for("street_vending", "zf-chengguan", Priority.NORMAL) == 1.5
    assert sla.hours_for("clutter", "zf-chengguan", Priority.NORMAL) == 6
    assert sla.hours_for("street_vending", "zf-chengxi", Priority.NORMAL) == 3
    assert sla.hours_for("garbage", "hw-chengqu", Priority.NORMAL) == 4  # the taxonomy's
    assert sla.hours_for("street_vending", "zf-chengxi", Priority.EMERGENCY) == 1.5
    assert sla.hours_for("street_vending", "zf-chengxi", Priority.URGENT) == 1.5  # default 0.5 kept


def test_working_hours_count_local_working_time_only() -> None:
    policy = parse_policy(
        {
            "calendar": {
                "mode": "working_hours",
                "opens": "08:30",
                "closes": "17:30",
                "holidays": ["2026-11-30"],  # Monday
                "extra_workdays": [date(2026, 11, 28)],  # Saturday, 调休
            }
        }
    )
    sla = policy.sla(taxonomy_hours(load_taxonomy()), SHANGHAI)
    friday_4pm = datetime(2026, 11, 27, 16, 0, tzinfo=SHANGHAI).astimezone(UTC)
    due = sla.due_at("garbage", None, Priority.NORMAL, friday_4pm)  # 4 working hours
    assert due.tzinfo == UTC
    # 1.5 h on Friday, 2.5 h on the make-up Saturday.
    assert due.astimezone(SHANGHAI) == datetime(2026, 11, 28, 11, 0, tzinfo=SHANGHAI)
    due = sla.due_at("illegal_ads", None, Priority.NORMAL, friday_4pm)  # 8 working hours
    # 1.5 h Friday, 9 h Saturday is enough: 08:30 + 6.5 h.
    assert due.astimezone(SHANGHAI) == datetime(2026, 11, 28, 15, 0, tzinfo=SHANGHAI)
    due = sla.due_at("road_facility", None, Priority.NORMAL, friday_4pm)  # 24 working hours
    # 1.5 Fri + 9 Sat, Sunday off, Monday a holiday, 9 Tue, 4.5 Wed → Wednesday 13:00.
    assert due.astimezone(SHANGHAI) == datetime(2026, 12, 2, 13, 0, tzinfo=SHANGHAI)
