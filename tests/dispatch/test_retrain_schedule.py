"""The policy's NLU retrain schedule and the scheduler's part in it."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dispatch.domain.policy import Policy, PolicyError, RetrainPolicy, parse_policy, policy_to_doc
from dispatch.service.ports import FixedClock
from dispatch.service.retrain_schedule import RetrainSchedule


def test_policy_reads_and_writes_the_retrain_schedule():
    assert Policy().nlu_retrain == RetrainPolicy(enabled=False, every_days=7.0)
    p = parse_policy({"nlu": {"retrain": {"enabled": True, "every_days": 3}}})
    assert p.nlu_retrain == RetrainPolicy(True, 3.0)
    assert policy_to_doc(p)["nlu"] == {"retrain": {"enabled": True, "every_days": 3}}
    assert parse_policy(policy_to_doc(p)) == p
    for bad, where in [({"retrain": {"every_days": 0}}, "nlu.retrain.every_days"),
                       ({"retrain": {"every_days": "weekly"}}, "nlu.retrain.every_days"),
                       ({"retrain": {"enabled": "yes"}}, "nlu.retrain.enabled"),
                       ({"retrain": {"hourly": True}}, "nlu.retrain.hourly"),
                       ({"schedule": {}}, "nlu.schedule")]:
        with pytest.raises(PolicyError) as e:
            parse_policy({"nlu": bad})
        assert e.value.field == where


def test_the_scheduler_starts_the_retrain_command_when_enabled(tmp_path: Path):
    out = tmp_path / "argv.txt"
    command = [sys.executable, "-c",
               f"import sys, pathlib; pathlib.Path({str(out)!r}).open('a').write(' '.join(sys.argv[1:]) + '\\n')"]
    policy = RetrainPolicy(enabled=False, every_days=3)
    clock = FixedClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    schedule = RetrainSchedule(lambda: policy, clock, command)

    async def scenario() -> None:
        nonlocal policy
        assert not await schedule.maybe_start()  # disabled
        policy = RetrainPolicy(enabled=True, every_days=3)
        assert await schedule.maybe_start()
        assert schedule.task is not None and await schedule.task == 0
        clock.advance(minutes=30)
        assert not await schedule.maybe_start()  # checked less than an hour ago
        clock.advance(minutes=31)
        assert await schedule.maybe_start()
        await schedule.close()

    asyncio.run(scenario())
    assert out.read_text().splitlines() == ["--if-due 3", "--if-due 3"]
