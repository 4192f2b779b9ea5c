"""The deliverers of the patrol notices (about no case): a grid leader's 电子围栏 alert or its
clearing, the worker's summary when the scheduler ended their patrol, and a grid leader's
morning message (日督导). Each renders from the database as it is at delivery."""

from __future__ import annotations

from typing import Any

from bot import patrol_keyboards as pkb
from bot import patrol_render
from bot.delivery.calls import Permanent, TelegramCalls, _main
from dispatch.db.outbox import Card, Outcome, Pending
from dispatch.db.patrol_store import PatrolStore
from dispatch.service import patrol_queries


class PatrolDeliverers(TelegramCalls):
    async def _deliver_patrol_fence(
        self, row: Pending, view: Any, cards: list[Card], out: Outcome
    ) -> int | None:
        async with self.app.uow() as uow:
            p = await PatrolStore(uow.session).get(int(row.payload["patrol_id"]))
            worker = await uow.members.get(p.member_id) if p is not None else None
        if p is None:
            raise Permanent("patrol not found")
        policy = self.app.registry.policy.patrol
        text = patrol_render.fence(row.payload, worker.name if worker else "?", self.tz, policy)
        return (await self._send_text(row.chat_id, text, on_sent=_main(out))).message_id

    async def _deliver_patrol_ended(
        self, row: Pending, view: Any, cards: list[Card], out: Outcome
    ) -> int | None:
        async with self.app.uow() as uow:
            p = await PatrolStore(uow.session).get(int(row.payload["patrol_id"]))
        if p is None:
            raise Permanent("patrol not found")
        text = patrol_render.summary(p, self.app.registry, self.tz, self.app.registry.policy.patrol)
        markup = None if p.ok else pkb.ok_button(p.id or 1)
        return (await self._send_text(row.chat_id, text, markup, on_sent=_main(out))).message_id

    async def _deliver_patrol_digest(
        self, row: Pending, view: Any, cards: list[Card], out: Outcome
    ) -> int | None:
        day = patrol_render.parse_day(row.payload["day"])
        grids = [str(g) for g in row.payload.get("grids", [])]
        async with self.app.uow() as uow:
            report = await patrol_queries.day_report(uow, self.app.registry, day, self.tz, grids)
        text = patrol_render.digest(report, self.tz)
        return (await self._send_text(row.chat_id, text, on_sent=_main(out))).message_id
