"""Permanent delivery failures: a person who blocked the bot, a chat that does not
exist, a group that was deleted, a group the bot was removed from. Each row is failed after one
attempt with Telegram's reason, never retried, listed by `outbox.failures` (for the admin
console), the person who blocked the bot is flagged — and the case's other notifications still
go out, in order."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from dispatch.db import outbox
from dispatch.db.orm import OutboxRow
from dispatch.service.cases import ReportDraft
from tests.bot import test_delivery as delivery
from tests.bot.conftest import CENTRE_GROUP, CHENGXI_GROUP, RESIDENT, RESIDENT2, market_point
from tests.bot.test_delivery import _relay
from tests.conftest import tg_member

quiet_runtime = delivery.quiet_runtime  # the fixture: the bot without polling and without its relay
NOBODY = 999_999_999


async def test_permanent_failures_are_recorded_once_and_shown(app, sandbox, quiet_runtime, clock):
    client = sandbox.client()
    try:
        for person in (RESIDENT, RESIDENT2):
            await client.user(person).send_text("/start")
        lat, lon = market_point(app)
        case = await quiet_runtime.commands.submit(
            ReportDraft(
                text="五丰菜市场门口有人摆摊",
                reporter_id=await tg_member(app, RESIDENT),
                category="street_vending",
                lat=lat,
                lon=lon,
            )
        )
        relay = _relay(app, quiet_runtime)
        while await relay.run_once():  # the case's own notifications first
            pass
        await client.block(RESIDENT2)
        await client.delete_group(CHENGXI_GROUP)
        await client.set_bot_in_group(CENTRE_GROUP, False)
        targets = [RESIDENT, RESIDENT2, NOBODY, CHENGXI_GROUP, CENTRE_GROUP, RESIDENT]
        now = clock.now()
        async with app.uow() as uow:
            rows = [
                OutboxRow(
                    created_at=now,
                    case_id=case.id,
                    chat_id=chat,
                    kind="resident_notice",
                    payload={"action": "closed"},
                    next_attempt_at=now,
                )
                for chat in targets
            ]
            uow.session.add_all(rows)
            await uow.session.flush()
            ids = [r.id for r in rows]
            await uow.commit()
        relay = _relay(app, quiet_runtime)
        while await relay.run_once():
            pass
        clock.advance(hours=1)  # long after any backoff: nothing comes back
        assert await relay.run_once() == 0

        async with app.uow() as uow:
            got = {
                r.id: r
                for r in (await uow.session.scalars(select(OutboxRow).where(OutboxRow.id.in_(ids)))).all()
            }
            blocked = {tg: (await uow.members.by_tg(tg)).blocked for tg in (RESIDENT, RESIDENT2)}
            shown = await outbox.failures(uow, case_id=case.id)
        states = [(got[i].state, got[i].attempts) for i in ids]
        assert states == [
            ("sent", 1),
            ("failed", 1),
            ("failed", 1),
            ("failed", 1),
            ("failed", 1),
            ("sent", 1),
        ]
        errors = [got[i].last_error or "" for i in ids[1:5]]
        assert "403" in errors[0] and "blocked" in errors[0]
        assert "400" in errors[1] and "chat not found" in errors[1]
        assert "deleted" in errors[2] or "chat not found" in errors[2]  # a deleted supergroup: 400
        assert "403" in errors[3] and "kicked" in errors[3]
        assert blocked == {RESIDENT: False, RESIDENT2: True}
        assert [(f.row_id, f.chat_id, f.error) for f in shown] == [
            (i, got[i].chat_id, got[i].last_error) for i in reversed(ids[1:5])
        ]
        assert all(f.kind == "resident_notice" and f.action == "closed" for f in shown)
        # The resident still got both notices, in order, each recorded with its message id.
        mine = [
            m for m in await client.messages(RESIDENT, from_bot=True) if case.number in (m.get("text") or "")
        ]
        assert [m["message_id"] for m in mine[-2:]] == [got[ids[0]].tg_message_id, got[ids[5]].tg_message_id]
        assert relay.stats.failed == 4 and relay.stats.sent == 2
    finally:
        await client.close()


async def test_a_row_that_keeps_failing_transiently_is_given_up_after_max_attempts(
    app: Any, sandbox: Any, quiet_runtime: Any, clock: Any
) -> None:
    from bot.delivery.relay import MAX_ATTEMPTS

    client = sandbox.client()
    try:
        await client.user(RESIDENT).send_text("/start")
        lat, lon = market_point(app)
        case = await quiet_runtime.commands.submit(
            ReportDraft(
                text="五丰菜市场门口有人摆摊",
                reporter_id=await tg_member(app, RESIDENT),
                category="street_vending",
                lat=lat,
                lon=lon,
            )
        )
        relay = _relay(app, quiet_runtime)
        while await relay.run_once():
            pass
        now = clock.now()
        async with app.uow() as uow:
            row = OutboxRow(
                created_at=now,
                case_id=case.id,
                chat_id=RESIDENT,
                kind="resident_notice",
                payload={"action": "closed"},
                next_attempt_at=now,
            )
            uow.session.add(row)
            await uow.commit()
        await client.set_faults(rate_500=1.0, methods=["sendMessage"])
        for _ in range(MAX_ATTEMPTS):
            await relay.run_once()
            clock.advance(seconds=400)  # past the longest backoff
        async with app.uow() as uow:
            got = await uow.session.get(OutboxRow, row.id)
            shown = await outbox.failures(uow)
        assert got is not None and got.state == "failed" and got.attempts == MAX_ATTEMPTS
        assert "ServerError" in (got.last_error or "")
        assert any(f.row_id == row.id for f in shown)
    finally:
        await client.close()
