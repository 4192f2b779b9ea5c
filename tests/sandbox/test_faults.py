"""Fault injection: seeded, counted, and seen by aiogram as the errors Telegram would give."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace

import pytest
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from tgsandbox.faults import FaultConfig, FaultInjector

from .conftest import RESIDENT

MIXED = FaultConfig(rate_429=0.10, rate_500=0.05, rate_drop=0.05, rate_drop_after=0.02,
                    rate_delay=0.2, delay_ms=10, seed=7)


def test_same_seed_same_faults_and_expected_shares():
    injectors = [FaultInjector(MIXED), FaultInjector(MIXED)]
    runs = [[injector.decide("sendMessage") for _ in range(4000)] for injector in injectors]
    assert runs[0] == runs[1]
    counts = Counter(d.outcome for d in runs[0])
    # binomial: 4000 calls, 4 standard deviations of slack
    for outcome, share in (("429", 0.10), ("500", 0.05), ("drop", 0.05), ("drop_after", 0.02)):
        expected = 4000 * share
        assert abs(counts[outcome] - expected) < 4 * (expected * (1 - share)) ** 0.5, outcome
    delayed = sum(1 for d in runs[0] if d.delay)
    assert abs(delayed - 800) < 4 * (800 * 0.8) ** 0.5
    other = FaultInjector(replace(MIXED, seed=8))
    other_seed = [other.decide("sendMessage") for _ in range(200)]
    assert other_seed != runs[0][:200]


def test_scope_and_validation():
    injector = FaultInjector(FaultConfig(rate_500=1.0, seed=1))
    assert injector.decide("getUpdates").outcome == "ok"  # not a sending method
    assert injector.decide("sendPhoto").outcome == "500"
    everything = FaultInjector(FaultConfig(rate_500=1.0, methods=frozenset({"*"})))
    assert everything.decide("getUpdates").outcome == "500"
    only = FaultInjector(FaultConfig(rate_500=1.0, methods=frozenset({"editMessageText"})))
    assert only.decide("sendMessage").outcome == "ok"
    assert only.decide("editmessagetext").outcome == "500"
    with pytest.raises(ValueError):
        FaultConfig(rate_429=0.7, rate_500=0.5)
    with pytest.raises(ValueError):
        FaultConfig(rate_429=0.1, retry_after=0)


def test_every_method_from_the_command_line():
    from tgsandbox.__main__ import fault_config

    config = fault_config("rate_500=0.2,seed=3,methods=*")
    assert config.covers("getMe") and config.covers("getUpdates") and config.covers("getFile")
    some = fault_config("rate_429=0.1,methods=getMe+deleteWebhook")
    assert some.covers("getme") and not some.covers("sendMessage")


async def send_all(bot, n: int) -> list[str]:
    """Send n messages one after another, recording what aiogram raised for each."""
    outcomes = []
    for i in range(n):
        try:
            await bot.send_message(RESIDENT, f"通知 {i}")
            outcomes.append("ok")
        except TelegramRetryAfter as error:
            assert error.retry_after == 2
            outcomes.append("429")
        except TelegramServerError:
            outcomes.append("500")
        except TelegramNetworkError:
            outcomes.append("network")
    return outcomes


async def test_aiogram_sees_exactly_the_injected_faults(sandbox, bot, client):
    config = FaultConfig(rate_429=0.15, rate_500=0.10, rate_drop=0.05, rate_drop_after=0.05,
                         retry_after=2, seed=11)
    sandbox.set_faults(config)
    outcomes = await send_all(bot, 200)
    snapshot = await client.faults()
    stats = snapshot["stats"]
    counted = Counter(outcomes)
    assert stats["calls"] == 200
    assert counted["429"] == stats["429"] > 0
    assert counted["500"] == stats["500"] > 0
    assert counted["network"] == stats["drop"] + stats["drop_after"]
    assert counted["ok"] == stats["ok"]
    # a dropped-after call *was* delivered: the response, not the message, was lost
    delivered = await client.messages(RESIDENT, from_bot=True)
    assert len(delivered) == stats["ok"] + stats["drop_after"]

    sandbox.set_faults(config)  # same seed again: the same faults in the same order
    assert await send_all(bot, 200) == outcomes


async def test_faults_change_at_run_time_through_the_control_endpoint(bot, client):
    await client.set_faults(rate_500=1.0, seed=1)
    with pytest.raises(TelegramServerError):
        await bot.send_message(RESIDENT, "x")
    assert await bot.get_updates() == []  # getUpdates is out of scope by default
    await client.set_faults(rate_500=0.0)
    await bot.send_message(RESIDENT, "ok")
    assert (await client.faults())["stats"] == {}


async def test_delay_past_the_client_timeout_still_delivers(sandbox, bot, client):
    sandbox.set_faults(rate_delay=1.0, delay_ms=300, methods=frozenset({"sendMessage"}))
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(RESIDENT, "慢", request_timeout=0.1)
    await asyncio.sleep(0.4)
    assert [m["text"] for m in await client.messages(RESIDENT, from_bot=True)] == ["慢"]


async def test_retrying_sender_delivers_each_notification_once(sandbox, bot, client):
    """What the relay must achieve: with faults that happen before processing, retries
    deliver every notification exactly once; lost responses (drop_after) are the one case
    that can only be caught by the sandbox counting duplicates."""
    sandbox.set_faults(rate_429=0.1, rate_500=0.1, rate_drop=0.05, rate_drop_after=0.03,
                       retry_after=1, seed=5)

    async def deliver(i: int) -> None:
        while True:
            try:
                await bot.send_message(RESIDENT, f"通知 {i}")
                return
            except (TelegramRetryAfter, TelegramServerError, TelegramNetworkError):
                continue  # a real relay backs off; the sandbox's statistics are what matter here

    await asyncio.gather(*(deliver(i) for i in range(300)))
    texts = Counter(m["text"] for m in await client.messages(RESIDENT, from_bot=True))
    assert set(texts) == {f"通知 {i}" for i in range(300)}
    duplicates = sum(n - 1 for n in texts.values())
    assert duplicates == sandbox.api.faults.stats["drop_after"] > 0
