"""When the 通报 is due and which period it reports (`dispatch.domain.bulletin.due`)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from dispatch.domain.bulletin import due
from dispatch.domain.policy import BulletinPolicy

CN = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=CN)


def test_no_leaders_group_no_bulletin() -> None:
    assert due(BulletinPolicy(), at(2026, 12, 1, 9), CN) is None


def test_monthly_reports_the_month_before_from_the_moment_on() -> None:
    policy = BulletinPolicy(chat_id=-1, every="month", day=3, at=time(8, 30))
    before = due(policy, at(2026, 12, 3, 8, 29), CN)
    assert before is not None and (before.label, before.previous) == ("2026-10", "2026-09")
    on = due(policy, at(2026, 12, 3, 8, 30), CN)
    assert on is not None and (on.key, on.previous, on.moment) == ("month:2026-11", "2026-10", at(2026, 12, 3, 8, 30))
    january = due(policy, datetime(2027, 1, 3, 0, 30, tzinfo=UTC), CN)  # 08:30 in China
    assert january is not None and january.label == "2026-12"


def test_weekly_reports_the_iso_week_before() -> None:
    policy = BulletinPolicy(chat_id=-1, every="week", weekday=5, at=time(17, 0))  # Fridays 17:00
    thursday = due(policy, at(2026, 12, 3, 23), CN)
    assert thursday is not None and (thursday.label, thursday.previous) == ("2026-W47", "2026-W46")
    friday = due(policy, at(2026, 12, 4, 17), CN)
    assert friday is not None and friday.key == "week:2026-W48" and friday.moment == at(2026, 12, 4, 17)
    new_year = due(policy, at(2027, 1, 1, 17), CN)  # a Friday in ISO week 2026-W53
    assert new_year is not None and new_year.label == "2026-W52"
