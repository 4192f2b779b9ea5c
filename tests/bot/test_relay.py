"""The outbox relay against a misbehaving Bot API: 429 with retry_after, 5xx and dropped
connections (back off, deliver later), and the row bookkeeping."""

from __future__ import annotations

import asyncio

from dispatch.service.cases import ReportDraft
from tests.bot.conftest import CHENGXI_GROUP, RESIDENT, market_point
from tests.bot.helpers import outbox, seen_or_wait
from tests.conftest import tg_member


async def _submit(app, runtime) -> int:
    lat, lon = market_point(app)
    case = await runtime.commands.submit(
        ReportDraft(
            text="五丰菜市场门口有人摆摊", reporter_id=await tg_member(app, RESIDENT), category="street_vending", lat=lat, lon=lon
        )
    )
    return case


async def _card_row(app):
    return next(r for r in await outbox(app) if r.kind == "unit_card")


async def test_retry_after_is_honoured(app, people, runtime):
    await people.set_faults(rate_429=1.0, retry_after=1, methods=["sendMessage"])
    case = await _submit(app, runtime)
    await asyncio.sleep(0.5)
    assert (await _card_row(app)).state == "pending"
    faults = await people.faults()
    assert faults["stats"]["429"] >= 1
    await people.set_faults(rate_429=0.0)
    member = people.user(300001, chat_id=CHENGXI_GROUP)
    await seen_or_wait(member, lambda m: case.number in m.get("text", ""), timeout=5)
    row = await _card_row(app)
    for _ in range(20):
        if row.state == "sent":
            break
        await asyncio.sleep(0.1)
        row = await _card_row(app)
    assert row.state == "sent" and row.tg_message_id


async def test_server_errors_back_off_then_deliver(app, people, runtime, clock):
    await people.set_faults(rate_500=1.0, methods=["sendMessage"])
    case = await _submit(app, runtime)
    for _ in range(60):
        row = await _card_row(app)
        if row.attempts >= 1:
            break
        await asyncio.sleep(0.1)
    assert (
        row.state == "pending"
        and row.next_attempt_at > clock.now()
        and "ServerError" in (row.last_error or "")
    )
    await people.set_faults(rate_500=0.0)
    clock.advance(minutes=5)  # the backoff is over
    runtime.relay.kick()
    member = people.user(300001, chat_id=CHENGXI_GROUP)
    await seen_or_wait(member, lambda m: case.number in m.get("text", ""), timeout=5)


async def test_relay_keeps_a_case_in_order(app, people, runtime, clock):
    """A card_update never overtakes the card it edits: while the card backs off, the rest of
    its case waits (untried), then all go out in order."""
    await people.set_faults(rate_500=1.0, methods=["sendMessage"])
    case = await _submit(app, runtime)
    for _ in range(60):
        if (await _card_row(app)).attempts >= 1:
            break
        await asyncio.sleep(0.1)
    await runtime.commands.accept(case.id, 300001)  # → card_update + resident_notice, due now
    await asyncio.sleep(0.8)
    rows = {r.kind: r for r in await outbox(app) if r.case_id == case.id}
    assert rows["unit_card"].state == rows["card_update"].state == "pending"
    assert rows["card_update"].attempts == 0 and "earlier row" in rows["card_update"].last_error
    await people.set_faults(rate_500=0.0)
    clock.advance(minutes=5)
    runtime.relay.kick()
    member = people.user(300001, chat_id=CHENGXI_GROUP)
    card = await seen_or_wait(member, lambda m: case.number in m.get("text", "") and "处置中" in m["text"])
    assert "王强" in card["text"]


async def test_scheduler_reminder_and_escalation_reach_the_unit_group(app, people, runtime, clock):

    from dispatch.service.scheduler import Scheduler

    case = await _submit(app, runtime)  # 占道经营: 2 h
    member = people.user(300001, chat_id=CHENGXI_GROUP)
    await seen_or_wait(member, lambda m: case.number in m.get("text", ""), timeout=5)
    scheduler = Scheduler(app.sessions, lambda: app.registry, clock)
    clock.advance(hours=1)
    assert (await scheduler.tick()).reminders == 1
    await seen_or_wait(member, lambda m: "处置时限已过 50%" in m.get("text", ""), timeout=10)
    clock.advance(hours=1, minutes=1)
    assert (await scheduler.tick()).escalations == 1
    await seen_or_wait(member, lambda m: "督办" in m.get("text", "") and case.number in m.get("text", ""),
                       timeout=10)


def test_every_kind_of_notice_has_one_deliverer() -> None:
    """What `notify` writes, the relay can deliver: a kind without a deliverer would be an
    outbox row nobody ever sends."""
    from types import SimpleNamespace

    from bot.delivery.relay import OutboxRelay
    from dispatch.service.notify import Notice

    app = SimpleNamespace(settings=SimpleNamespace(timezone="Asia/Shanghai"))
    relay = OutboxRelay(app, bot=None, gate=None)  # type: ignore[arg-type]
    assert set(relay.deliverers) == set(Notice)
    assert all(callable(d) for d in relay.deliverers.values())
