"""The outbox relay: deliver pending notifications through the Bot.

    rows = outbox_store.due(now)          # oldest first
    group by case → deliver each group in order, groups concurrently (bounded)
    each row is rendered from the CURRENT case state, then sent or edited
    outcomes (sent / retry at / failed, cards posted, people who blocked us) → one transaction

Retries: `TelegramRetryAfter` is honoured (short waits in place, longer ones rescheduled);
network and 5xx errors back off exponentially; 403 / chat not found are permanent: the row
is marked failed and a person who blocked the bot is flagged. Interface for issue 5:
`OutboxRelay(app, bot, gate).run(stop)`, `.run_once()`, `.kick()`."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta, tzinfo
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InputMediaPhoto, Message

from bot import keyboards as kb
from bot import render
from bot.deps import WriteGate
from bot.ratelimit import SendLimiter, Throttled
from bot.transcript import current_case
from dispatch.domain.status import CaseStatus
from dispatch.service import outbox_store, queries
from dispatch.service.outbox_store import Card, Outcome, Pending
from dispatch.service.queries import CaseView
from gridbot import texts
from gridbot.bootstrap import App

log = logging.getLogger(__name__)
T = TypeVar("T")
# What the Bot API accepted for the row being delivered (to record it if the relay is stopped).
_accepted: ContextVar[list[Any] | None] = ContextVar("relay_accepted", default=None)

MAX_ATTEMPTS = 8
MAX_BACKOFF_S = 300.0
INLINE_RETRY_AFTER_S = 5.0  # wait in place up to this; longer waits are rescheduled
INLINE_NETWORK_RETRIES = 2
# Wait in place for a rate-limit slot up to this; further away, the row is put back untried
# (well inside outbox_store.CLAIM_TTL, so a claim never expires while its row waits).
INLINE_THROTTLE_S = 20.0
GONE = ("message to edit not found", "message can't be edited", "MESSAGE_ID_INVALID")
NOT_MODIFIED = "message is not modified"
S = CaseStatus


class Retry(Exception):
    def __init__(self, after: float, error: str) -> None:
        super().__init__(error)
        self.after = after


class Permanent(Exception):
    def __init__(self, error: str, blocked: bool = False) -> None:
        super().__init__(error)
        self.blocked = blocked


@dataclass
class RelayStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0


class OutboxRelay:
    def __init__(
        self,
        app: App,
        bot: Bot,
        gate: WriteGate,
        *,
        batch_size: int = 200,
        concurrency: int = 16,
        idle_s: float = 1.0,
        linger_s: float = 0.02,
        limiter: SendLimiter | None = None,
    ) -> None:
        self.app = app
        self.bot = bot
        self.gate = gate
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.idle_s = idle_s
        self.linger_s = linger_s  # after a kick, wait this long so a batch gathers
        self.tz: tzinfo = ZoneInfo(app.settings.timezone)
        self.stats = RelayStats()
        self.limiter = limiter or SendLimiter()  # Telegram's limits, before every call
        self._wake = asyncio.Event()
        self._sem = asyncio.Semaphore(concurrency)
        self._migrations: list[tuple[int, int]] = []  # groups that became supergroups
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"

    def kick(self) -> None:
        """Something was queued: deliver now instead of at the next idle tick."""
        self._wake.set()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                n = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("relay: batch failed; retrying shortly")
                n = 0
                await asyncio.sleep(min(self.idle_s, 1.0))
            if n == 0:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self.idle_s)
                    await asyncio.sleep(self.linger_s)
                except TimeoutError:
                    pass

    async def run_once(self) -> int:
        """Deliver one batch of due rows; how many rows were handled."""
        now = self.app.clock.now()
        async with self.app.uow() as uow:
            async with self.gate():
                rows = await outbox_store.claim(uow, self.holder, now, self.batch_size)
            if not rows:
                return 0
            case_ids = sorted({r.case_id for r in rows if r.case_id is not None})
            views = await queries.views(uow, case_ids)
            cards = await outbox_store.cards(uow, case_ids)
            earliest = await outbox_store.earliest_pending(uow, case_ids)
        groups: dict[Any, list[Pending]] = {}
        for r in rows:
            groups.setdefault(r.case_id if r.case_id is not None else ("row", r.id), []).append(r)
        outcomes: list[Outcome] = []
        ready = []
        for g in groups.values():
            first = earliest.get(g[0].case_id) if g[0].case_id is not None else None
            if first is not None and first[0] < g[0].id:  # an older row of this case is backing off
                outcomes += [
                    Outcome(
                        r.id,
                        "pending",
                        error="waiting for an earlier row",
                        retry_at=first[1],
                        attempted=False,
                    )
                    for r in g
                ]
            else:
                ready.append(g)
        try:
            await asyncio.gather(
                *(
                    self._group(
                        g,
                        views.get(g[0].case_id) if g[0].case_id else None,
                        list(cards.get(g[0].case_id, [])) if g[0].case_id else [],
                        outcomes,
                    )
                    for g in ready
                )
            )
        except asyncio.CancelledError:
            # Stopped mid-batch: record what was sent so far (the rest stays claimed until the
            # claim expires, then another relay delivers it — nothing is sent twice).
            log.info("relay: stopped mid-batch; recording %d outcome(s)", len(outcomes))
            await _to_the_end(self._record(outcomes))
            raise
        await _to_the_end(self._record(outcomes))
        if self._migrations:
            from dispatch.service.membership import migrate_chat

            moves, self._migrations = self._migrations, []
            for old, new in dict(moves).items():
                async with self.gate():
                    n = await migrate_chat(self.app.uow(), old, new)
                log.info("relay: chat %s became %s (%d unit(s) follow)", old, new, n)
            await self.app.reload()
        return len(rows)

    async def _record(self, outcomes: list[Outcome]) -> None:
        async with self.gate():
            async with self.app.uow() as uow:
                await outbox_store.record(uow, outcomes, self.app.clock.now())
                await uow.commit()

    async def _group(
        self, rows: list[Pending], view: CaseView | None, cards: list[Card], out: list[Outcome]
    ) -> None:
        """Deliver one case's rows in order, appending each outcome to `out` as it is known."""
        async with self._sem:
            token = current_case.set(rows[0].case_id)
            try:
                for i, row in enumerate(rows):
                    accepted: list[Any] = []
                    sent_token = _accepted.set(accepted)
                    try:
                        outcome = await self._one(row, view, cards)
                    except asyncio.CancelledError:
                        if accepted:  # part of it went out: never send it again
                            first = next((m for m in accepted if isinstance(m, Message)), None)
                            out.append(
                                Outcome(
                                    row.id,
                                    "sent",
                                    message_id=first.message_id if first else None,
                                    error="interrupted after sending",
                                )
                            )
                        raise
                    finally:
                        _accepted.reset(sent_token)
                    out.append(outcome)
                    if outcome.state == "pending":  # keep this case's order: the rest wait too
                        for later in rows[i + 1 :]:
                            out.append(
                                Outcome(
                                    later.id,
                                    "pending",
                                    error="waiting for an earlier row",
                                    retry_at=outcome.retry_at,
                                    attempted=False,
                                )
                            )
                        break
            finally:
                current_case.reset(token)

    async def _one(self, row: Pending, view: CaseView | None, cards: list[Card]) -> Outcome:
        outcome = Outcome(row.id, "sent")
        try:
            if view is None:
                outcome.error = "case not found"
                self.stats.skipped += 1
                return outcome
            handler = getattr(self, f"_deliver_{row.kind}", None)
            if handler is None:
                raise Permanent(f"unknown outbox kind {row.kind!r}")
            outcome.message_id = await handler(row, view, cards, outcome)
            if not (outcome.error or "").startswith("skipped"):
                self.stats.sent += 1
            return outcome
        except Throttled as exc:  # nothing was sent for it: put back untried, no attempt counted
            self.stats.retried += 1
            return Outcome(
                row.id,
                "pending",
                error=str(exc),
                cards=outcome.cards,
                retry_at=self.app.clock.now() + timedelta(seconds=exc.wait),
                attempted=False,
            )
        except Retry as exc:
            attempts = row.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                log.warning("relay: row %s failed after %d attempts: %s", row.id, attempts, exc)
                self.stats.failed += 1
                return Outcome(row.id, "failed", error=str(exc), cards=outcome.cards)
            self.stats.retried += 1
            delay = exc.after if exc.after > 0 else min(2.0**attempts, MAX_BACKOFF_S)
            return Outcome(
                row.id,
                "pending",
                error=str(exc),
                cards=outcome.cards,
                retry_at=self.app.clock.now() + timedelta(seconds=delay),
            )
        except Permanent as exc:
            self.stats.failed += 1
            log.info("relay: row %s (%s → %s) failed: %s", row.id, row.kind, row.chat_id, exc)
            return Outcome(
                row.id,
                "failed",
                error=str(exc),
                cards=outcome.cards,
                blocked_tg=row.chat_id if exc.blocked and row.chat_id > 0 else None,
            )
        except Exception as exc:  # a rendering bug must not wedge the queue
            log.exception("relay: row %s (%s) crashed", row.id, row.kind)
            self.stats.failed += 1
            return Outcome(row.id, "failed", error=f"{type(exc).__name__}: {exc}", cards=outcome.cards)

    # -- calling Telegram ----------------------------------------------------------------------------
    async def call(self, make: Callable[[], Awaitable[T]], chat_id: int | None = None, cost: int = 1) -> T:
        """One Bot API call to `chat_id` within the rate limits and with the retry policy;
        raises Retry, Permanent or Throttled (the slot is too far away: nothing was sent)."""
        network_tries = 0
        while True:
            await self.limiter.acquire(chat_id, cost, max_wait=INLINE_THROTTLE_S)
            call = asyncio.ensure_future(make())
            try:
                result = await asyncio.shield(call)
                _note_accepted(result)
                return result
            except asyncio.CancelledError:
                # The request may already be at Telegram: let it finish, so that a message it
                # sent is recorded, then stop.
                while not call.done():
                    try:
                        await asyncio.wait({call})
                    except asyncio.CancelledError:
                        pass
                if not call.cancelled() and call.exception() is None:
                    _note_accepted(call.result())
                raise
            except TelegramRetryAfter as exc:
                if exc.retry_after <= INLINE_RETRY_AFTER_S:
                    await asyncio.sleep(exc.retry_after)
                    continue
                raise Retry(exc.retry_after, f"429 retry after {exc.retry_after}") from exc
            except (TimeoutError, TelegramNetworkError, TelegramServerError) as exc:
                network_tries += 1
                if network_tries <= INLINE_NETWORK_RETRIES:
                    await asyncio.sleep(0.2 * 2**network_tries)
                    continue
                raise Retry(0, f"{type(exc).__name__}: {exc}") from exc
            except TelegramMigrateToChat as exc:
                old = getattr(exc.method, "chat_id", None)
                if isinstance(old, int):
                    self._migrations.append((old, exc.migrate_to_chat_id))
                raise Retry(0.01, f"chat {old} became {exc.migrate_to_chat_id}") from exc
            except TelegramForbiddenError as exc:
                raise Permanent(f"403 {exc.message}", blocked=True) from exc
            except TelegramBadRequest as exc:
                if "chat not found" in exc.message.lower():
                    raise Permanent(f"400 {exc.message}", blocked=True) from exc
                raise Permanent(f"400 {exc.message}") from exc

    async def _send_text(
        self, chat_id: int, text: str, markup: Any = None, reply_to: int | None = None
    ) -> Message:
        return await self.call(
            lambda: self.bot.send_message(
                chat_id,
                text,
                reply_markup=markup,
                reply_to_message_id=reply_to,
                allow_sending_without_reply=True,
            ),
            chat_id,
        )

    async def _send_photos(
        self, chat_id: int, file_ids: list[str], caption: str | None = None, reply_to: int | None = None
    ) -> int | None:
        if not file_ids:
            return None
        if len(file_ids) == 1:
            m = await self.call(
                lambda: self.bot.send_photo(
                    chat_id,
                    file_ids[0],
                    caption=caption,
                    reply_to_message_id=reply_to,
                    allow_sending_without_reply=True,
                ),
                chat_id,
            )
            return m.message_id
        media = [
            InputMediaPhoto(media=f, caption=caption if i == 0 else None) for i, f in enumerate(file_ids[:10])
        ]
        ms = await self.call(
            lambda: self.bot.send_media_group(
                chat_id, media, reply_to_message_id=reply_to, allow_sending_without_reply=True
            ),
            chat_id,
            len(media),
        )
        return ms[0].message_id if ms else None

    async def _best_effort(
        self, what: str, make: Callable[[], Awaitable[Any]], chat_id: int | None, *, raw: bool = True
    ) -> None:
        """Extras after the main message (photos, the pin): log failures, never resend the card.
        `raw=False`: `make` already goes through `call` (limits and retries) itself."""
        try:
            await (self.call(make, chat_id) if raw else make())
        except (Retry, Permanent, Throttled) as exc:
            log.info("relay: %s not delivered: %s", what, exc)

    async def _edit(self, card: Card, text: str, markup: Any) -> bool:
        """Edit a card in place; False when its message is gone (the card is forgotten)."""
        try:
            await self.call(
                lambda: self.bot.edit_message_text(
                    text, chat_id=card.chat_id, message_id=card.message_id, reply_markup=markup
                ),
                card.chat_id,
            )
        except Permanent as exc:
            msg = str(exc)
            if NOT_MODIFIED in msg:
                return True
            if any(g in msg for g in GONE) or exc.blocked:
                return False
            raise
        return True

    # -- the kinds -------------------------------------------------------------------------------------
    async def _deliver_unit_card(
        self, row: Pending, view: CaseView, cards: list[Card], out: Outcome
    ) -> int | None:
        c = view.case
        unit = self.app.registry.units.get(c.unit_id or "")
        if unit is None or unit.chat_id is None or c.status not in (S.DISPATCHED, S.ACCEPTED):
            out.error = "skipped: the case left this unit"
            self.stats.skipped += 1
            return None
        chat_id = unit.chat_id  # the unit's group now (it may have moved since the row was written)
        text, markup = render.unit_card(view, self.app.registry, chat_id, self.tz)
        card = await self._send_text(chat_id, text, markup)
        new = Card(c.id or 0, chat_id, card.message_id, "unit")
        out.cards.append(new)
        for old in [k for k in cards if k.chat_id == chat_id and k.purpose == "unit"]:
            old_text, _ = render.unit_card(view, self.app.registry, chat_id, self.tz, replaced=True)
            await self._best_effort(
                "old card",
                lambda old=old, t=old_text: self.bot.edit_message_text(
                    t, chat_id=old.chat_id, message_id=old.message_id, reply_markup=None
                ),
                old.chat_id,
            )
            cards.remove(old)
        cards.append(new)
        photos = [p.file_id for p in c.photos if p.kind == "report"]
        if photos:
            await self._best_effort(
                "card photos",
                lambda: self._send_photos(chat_id, photos, reply_to=card.message_id),
                chat_id,
                raw=False,
            )
        if c.lat is not None and c.lon is not None:
            await self._best_effort(
                "card pin",
                lambda: self.bot.send_location(
                    chat_id,
                    c.lat,
                    c.lon,
                    reply_to_message_id=card.message_id,
                    allow_sending_without_reply=True,
                ),
                chat_id,
            )
        return card.message_id

    async def _deliver_card_update(
        self, row: Pending, view: CaseView, cards: list[Card], out: Outcome
    ) -> None:
        targets = [k for k in cards if row.chat_id in (0, k.chat_id)]
        for card in targets:
            if card.purpose == "unit":
                text, markup = render.unit_card(view, self.app.registry, card.chat_id, self.tz)
            elif card.purpose == "verify":
                text, markup = render.verify_card(view, self.app.registry)
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
                return await self._send_photos(row.chat_id, results[-10:], caption=text)
        return (await self._send_text(row.chat_id, text)).message_id

    async def _deliver_rate_request(
        self, row: Pending, view: CaseView, cards: list[Card], out: Outcome
    ) -> int | None:
        c = view.case
        if c.status not in (S.RESOLVED, S.VERIFIED) or c.rating is not None or c.id is None:
            out.error = "skipped: no longer waiting for a rating"
            self.stats.skipped += 1
            return None
        return (await self._send_text(row.chat_id, render.rate_ask(c), kb.rating_keyboard(c.id))).message_id

    async def _deliver_verify_task(
        self, row: Pending, view: CaseView, cards: list[Card], out: Outcome
    ) -> int | None:
        c = view.case
        if c.status is not S.RESOLVED:
            out.error = "skipped: no longer waiting for verification"
            self.stats.skipped += 1
            return None
        results = [p.file_id for p in c.photos if p.kind == "result"]
        if results:
            await self._best_effort(
                "verify photos", lambda: self._send_photos(row.chat_id, results[-10:]), row.chat_id, raw=False
            )
        text, markup = render.verify_card(view, self.app.registry)
        m = await self._send_text(row.chat_id, text, markup)
        card = Card(c.id or 0, row.chat_id, m.message_id, "verify")
        out.cards.append(card)
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
        return (await self._send_text(row.chat_id, text, reply_to=card)).message_id

    async def _deliver_triage_notice(
        self, row: Pending, view: CaseView, cards: list[Card], out: Outcome
    ) -> int | None:
        text, markup = render.triage_card(view, self.app.registry)
        m = await self._send_text(row.chat_id, text, markup)
        card = Card(view.case.id or 0, row.chat_id, m.message_id, "triage")
        out.cards.append(card)
        cards[:] = [k for k in cards if not (k.chat_id == row.chat_id and k.purpose == "triage")] + [card]
        return m.message_id


def _note_accepted(result: Any) -> None:
    accepted = _accepted.get()
    if accepted is not None:
        accepted.extend(result if isinstance(result, list) else [result])


async def _to_the_end(aw: Awaitable[T]) -> T:
    """Run `aw` to completion even if the caller is cancelled meanwhile (then re-raise that)."""
    fut = asyncio.ensure_future(aw)
    cancelled: asyncio.CancelledError | None = None
    while not fut.done():
        try:
            await asyncio.wait({fut})
        except asyncio.CancelledError as exc:
            cancelled = exc
    if cancelled is not None:
        raise cancelled
    return fut.result()
