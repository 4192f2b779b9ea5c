"""One deliverer per kind of outbox row (`dispatch.service.notify.Notice`): each renders
the case as it is now and sends it, recording each part as it goes."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from aiogram.types import BufferedInputFile

import texts
from bot import render
from bot.delivery.calls import (
    RESUMED,
    Permanent,
    S,
    TelegramCalls,
    _main,
    _resumed,
)
from dispatch.db.outbox import Card, Outcome, Pending, Progress
from dispatch.service import bulletin
from dispatch.service.queries import CaseView


class Deliverers(TelegramCalls):
    async def _deliver_unit_card(
        self, row: Pending, view: CaseView, cards: list[Card], out: Outcome
    ) -> int | None:
        """Four parts, each recorded as it goes out: 1 the card, 2 the old card in this group
        marked replaced, 3 the report's photos, 4 the location pin (the last two as replies)."""
        c = view.case
        resumed = _resumed(row)
        unit = self.app.registry.units.get(c.unit_id or "")
        if unit is None or unit.chat_id is None or c.status not in (S.DISPATCHED, S.ACCEPTED):
            out.error = "skipped: the case left this unit"
            self.stats.skipped += 1
            return resumed[1] if resumed else None
        if resumed:  # the card is out (maybe more): continue in the chat it went to
            chat_id, mid = resumed
        else:
            chat_id = unit.chat_id  # the unit's group now (it may have moved since the row was written)
            text, markup = render.unit_card(view, self.app.registry, chat_id, self.tz)
            sent = await self._send_text(chat_id, text, markup, on_sent=_main(out, c.id or 0, "unit"))
            mid = sent.message_id
            await self._step(row, 1, chat_id, mid)
        new = Card(c.id or 0, chat_id, mid, "unit")
        if row.parts_done < 2:
            for old in [k for k in cards if k.chat_id == chat_id and k.purpose == "unit" and k != new]:
                old_text, _ = render.unit_card(view, self.app.registry, chat_id, self.tz, replaced=True)
                await self._best_effort("old card", partial(self._replace_card, old, old_text), old.chat_id)
            await self._step(row, 2, cards=[new])  # where the case's card is now
        cards[:] = [k for k in cards if not (k.chat_id == chat_id and k.purpose == "unit")] + [new]
        photos = [p.file_id for p in c.photos if p.kind == "report" and p.in_telegram]
        if photos and row.parts_done < 3:
            await self._best_effort(
                "card photos",
                lambda: self._send_photos(chat_id, photos, reply_to=mid),
                chat_id,
                raw=False,
            )
            await self._step(row, 3)
        if c.lat is not None and c.lon is not None and row.parts_done < 4:
            lat, lon = c.lat, c.lon
            await self._best_effort(
                "card pin",
                lambda: self.bot.send_location(
                    chat_id, lat, lon, reply_to_message_id=mid, allow_sending_without_reply=True
                ),
                chat_id,
            )
            await self._step(row, 4)
        return mid

    async def _step(
        self,
        row: Pending,
        part: int,
        chat_id: int | None = None,
        message_id: int | None = None,
        cards: list[Card] | None = None,
    ) -> None:
        """Part `part` of `row`'s delivery went out: record it before the next part starts."""
        await self.progress.write(Progress(row.id, part, chat_id, message_id, tuple(cards or ())))

    async def _replace_card(self, old: Card, text: str) -> Any:
        return await self.bot.edit_message_text(
            text, chat_id=old.chat_id, message_id=old.message_id, reply_markup=None
        )

    async def _deliver_card_update(
        self, row: Pending, view: CaseView, cards: list[Card], out: Outcome
    ) -> None:
        targets = [k for k in cards if row.chat_id in (0, k.chat_id)]
        for card in targets:
            if card.purpose == "unit":
                text, markup = render.unit_card(view, self.app.registry, card.chat_id, self.tz)
            elif card.purpose == "verify":
                text, markup = render.verify_card(view, self.app.registry)
            elif card.purpose == "rate":
                text, markup = render.rate_card(view.case)
            else:
                text, markup = render.triage_card(view, self.app.registry)
            if not await self._edit(card, text, markup):
                out.dropped_cards.append(card)
                cards.remove(card)
        return None

    async def _deliver_resident_notice(
        self, row: Pending, view: CaseView, cards: list[Card], out: Outcome
    ) -> int | None:
        c = view.case
        initial = row.created_at == c.created_at and not row.payload.get("follower")
        if initial and row.action in ("dispatched", "linked_duplicate") and c.channel != "admin":
            out.error = "skipped: the submit reply said it"
            self.stats.skipped += 1
            return None
        text = render.resident_notice(view, row.action, self.app.registry, self.tz)
        if text is None:
            out.error = f"skipped: nothing to say for {row.action}"
            self.stats.skipped += 1
            return None
        if row.payload.get("follower"):
            text += "\n" + texts.NOTICE_FOLLOWER
        if row.action == "resolved":
            results = [p.file_id for p in c.photos if p.kind == "result"]
            if results:
                return await self._send_photos(row.chat_id, results[-10:], caption=text, on_sent=_main(out))
        return (await self._send_text(row.chat_id, text, on_sent=_main(out))).message_id

    async def _deliver_rate_request(
        self, row: Pending, view: CaseView, cards: list[Card], out: Outcome
    ) -> int | None:
        c = view.case
        if c.status not in (S.RESOLVED, S.VERIFIED) or c.rating is not None or c.id is None:
            out.error = "skipped: no longer waiting for a rating"
            self.stats.skipped += 1
            return None
        ask, markup = render.rate_card(c)
        m = await self._send_text(row.chat_id, ask, markup, on_sent=_main(out, c.id, "rate"))
        # The request of an earlier round (before a 返工) loses its buttons, if it still has them.
        for old in [k for k in cards if k.chat_id == row.chat_id and k.purpose == "rate"]:
            await self._best_effort(
                "old rating request",
                partial(self._replace_card, old, texts.RATE_ROUND_OVER.format(text=ask)),
                old.chat_id,
            )
            cards.remove(old)
        cards.append(Card(c.id, row.chat_id, m.message_id, "rate"))
        return m.message_id

    async def _deliver_verify_task(
        self, row: Pending, view: CaseView, cards: list[Card], out: Outcome
    ) -> int | None:
        """Two parts, each recorded as it goes out: 1 the result photos, 2 the card."""
        c = view.case
        resumed = _resumed(row)
        if resumed and row.parts_done >= 2:
            out.error = RESUMED
            return resumed[1]
        if c.status is not S.RESOLVED:
            out.error = "skipped: no longer waiting for verification"
            self.stats.skipped += 1
            return None
        results = [p.file_id for p in c.photos if p.kind == "result"]
        if results and row.parts_done < 1:
            await self._best_effort(
                "verify photos", lambda: self._send_photos(row.chat_id, results[-10:]), row.chat_id, raw=False
            )
            await self._step(row, 1)
        text, markup = render.verify_card(view, self.app.registry)
        m = await self._send_text(row.chat_id, text, markup, on_sent=_main(out, c.id or 0, "verify"))
        card = Card(c.id or 0, row.chat_id, m.message_id, "verify")
        await self._step(row, 2, row.chat_id, m.message_id, [card])
        cards.append(card)
        return m.message_id

    async def _deliver_reminder(
        self, row: Pending, view: CaseView, cards: list[Card], out: Outcome
    ) -> int | None:
        return await self._deadline_notice(row, view, cards, out, render.reminder)

    async def _deliver_escalation(
        self, row: Pending, view: CaseView, cards: list[Card], out: Outcome
    ) -> int | None:
        return await self._deadline_notice(row, view, cards, out, render.escalation)

    async def _deadline_notice(
        self,
        row: Pending,
        view: CaseView,
        cards: list[Card],
        out: Outcome,
        text_for: Callable[..., str],
    ) -> int | None:
        """A reminder or 督办 notice, as a reply to the case's card in that chat."""
        if view.case.status not in (S.DISPATCHED, S.ACCEPTED):
            out.error = "skipped: handled meanwhile"
            self.stats.skipped += 1
            return None
        card = next((k.message_id for k in cards if k.chat_id == row.chat_id and k.purpose == "unit"), None)
        text = text_for(view, row.payload, self.app.registry, self.tz)
        return (await self._send_text(row.chat_id, text, reply_to=card, on_sent=_main(out))).message_id

    async def _deliver_group_notice(
        self, row: Pending, view: CaseView, cards: list[Card], out: Outcome
    ) -> int | None:
        """A notice to a unit's group about the group itself (a requested or decided move)."""
        p = row.payload
        template = texts.GROUP_MOVE_NOTICES.get(str(p.get("action")))
        if template is None:
            raise Permanent(f"unknown group notice {p.get('action')!r}")
        title = render.esc(str(p.get("title") or p.get("to_chat") or ""))
        text = template.format(unit=render.esc(self.app.registry.unit_name(str(p.get("unit")))), title=title)
        return (await self._send_text(row.chat_id, text, on_sent=_main(out))).message_id

    async def _deliver_triage_notice(
        self, row: Pending, view: CaseView, cards: list[Card], out: Outcome
    ) -> int | None:
        text, markup = render.triage_card(view, self.app.registry)
        m = await self._send_text(row.chat_id, text, markup, on_sent=_main(out, view.case.id or 0, "triage"))
        card = Card(view.case.id or 0, row.chat_id, m.message_id, "triage")
        cards[:] = [k for k in cards if not (k.chat_id == row.chat_id and k.purpose == "triage")] + [card]
        return m.message_id

    async def _deliver_bulletin(
        self, row: Pending, view: CaseView, cards: list[Card], out: Outcome
    ) -> int | None:
        """通报 (no case): two parts, each recorded as it goes out: 1 the message with the
        figures, 2 the XLSX as a document — the row's main message, so a document that did not
        go out is retried (without the message again)."""
        if row.parts_done >= 2 and row.tg_message_id is not None:
            out.error = RESUMED
            return row.tg_message_id
        key = str(row.payload.get("bulletin") or "")
        async with self.app.uow() as uow:
            made = await bulletin.bulletin(uow, key)
        if made is None:
            raise Permanent(f"no bulletin {key!r}")
        if row.parts_done < 1:
            m = await self._send_text(row.chat_id, made.text)
            await self._step(row, 1, row.chat_id, m.message_id)
        xlsx, name = made.xlsx, made.file_name
        sent = await self.call(
            lambda: self.bot.send_document(row.chat_id, BufferedInputFile(xlsx, filename=name)),
            row.chat_id,
            on_sent=_main(out),
        )
        await self._step(row, 2, row.chat_id, sent.message_id)
        return sent.message_id
