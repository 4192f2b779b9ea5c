"""The outbox relay: deliver pending notifications through the Bot.

    rows = outbox.claim(now)        # oldest first, claimed for CLAIM_TTL
    group by case → deliver each group in order, groups concurrently (bounded)
    each row is rendered from the CURRENT case state, then sent or edited
    every tick_s: commit the outcomes known so far, renew the claims still needed
    at the end (or when stopped): wait for every send in flight, commit the rest, and give
    back the rows not started

Retries: `TelegramRetryAfter` is honoured (short waits in place, longer ones rescheduled);
network and 5xx errors back off exponentially; 403 / chat not found are permanent: the row
is marked failed (`outbox.failures`) and a person who blocked the bot is flagged.
Interface: `OutboxRelay(app, bot, gate).run(stop)`, `.run_once()`, `.kick()`.

What "exactly once" rests on, and where it ends:

- A row is claimed by one relay at a time (`dispatch.db.outbox_claim`), and the relay
  renews its claims while it works, so a slow batch (one private chat at 1 message/s, long
  `retry_after`s) never lets another relay take a row it is still sending. If renewing fails
  (the database is unreachable), no new send starts once the claim is close to lapsing.
- A stopped relay (task cancelled: SIGTERM, Ctrl-C, `BotRuntime.stop`) lets each call already
  at the Bot API finish, records the message it produced, and gives back the rows it had not
  started, so a restart resumes at once and sends nothing twice.
- Every Bot API call of a delivery is recorded as it succeeds (`bot.delivery.progress`: the
  row's `parts_done`, its main message), before the next part starts: a delivery is several
  calls (a unit card: card, old card replaced, photos, location), and a relay that dies
  without a chance to record (SIGKILL, power loss) is continued by the next one from the part
  after the last recorded, once its claim lapses — a row whose parts all went out is just
  marked sent. What can go out twice is a call whose request reached Telegram but whose step
  was not committed yet: the calls in flight when the relay died (a few milliseconds per
  call). Such rows are marked (`last_error`: "… may have reached Telegram already"):
  at least once, and detectable.
- A send whose request reached Telegram but whose response was lost (connection dropped
  after the call ran, a client timeout) looks like a network error and is retried: the Bot API
  has no idempotency key, so this case is at-least-once too.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, cast
from zoneinfo import ZoneInfo

from aiogram import Bot

from bot.delivery.calls import (
    CASELESS,
    EARLIER_WAIT_S,
    MAX_ATTEMPTS,
    MAX_BACKOFF_S,
    MAYBE_TWICE,
    MULTI_PART,
    RENEW_AT,
    RESUMED,
    SAFE,
    Permanent,
    Retry,
    _accepted,
    log,
)
from bot.delivery.deliverers import Deliverers
from bot.delivery.patrol import PatrolDeliverers
from bot.delivery.progress import ProgressLog, to_the_end
from bot.deps import WriteGate
from bot.ratelimit import SendLimiter, Throttled
from bot.transcript import current_case
from dispatch.db import outbox
from dispatch.db.outbox import CLAIM_TTL, Card, Outcome, Pending
from dispatch.observe.context import case_number
from dispatch.observe.metrics import DELIVERIES
from dispatch.service import queries
from dispatch.service.app import App
from dispatch.service.notify import Notice
from dispatch.service.queries import CaseView


@dataclass
class RelayStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    lapsed: int = 0  # rows claimed that a relay which died or hung may have sent already
    lost: int = 0  # rows whose claim another relay took over from this one (not sent here)


@dataclass
class Batch:
    """One claimed batch: outcomes known but not committed yet, and which claims are ours."""

    ids: list[int]
    valid_until: datetime  # our claims hold until then (renewed while the batch runs)
    outcomes: list[Outcome] = field(default_factory=list)  # known, not committed yet
    done: set[int] = field(default_factory=set)  # ids with an outcome (committed or not)
    lost: set[int] = field(default_factory=set)  # ids another relay took over: not ours any more

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        self.done.add(outcome.row_id)

    def outstanding(self) -> list[int]:
        return [i for i in self.ids if i not in self.done and i not in self.lost]


Deliverer = Callable[[Pending, CaseView, list[Card], Outcome], Awaitable[int | None]]


class OutboxRelay(Deliverers, PatrolDeliverers):
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
        tick_s: float = 1.0,
        limiter: SendLimiter | None = None,
    ) -> None:
        self.app = app
        self.bot = bot
        self.gate = gate
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.idle_s = idle_s
        self.linger_s = linger_s  # after a kick, wait this long so a batch gathers
        self.tick_s = tick_s  # during a batch: commit outcomes and renew claims this often
        self.ttl = CLAIM_TTL
        self.tz: tzinfo = ZoneInfo(app.settings.timezone)
        self.stats = RelayStats()
        self.limiter = limiter or SendLimiter()  # Telegram's limits, before every call
        self.progress = ProgressLog(app, gate)  # each part of a delivery, as it goes out
        self._wake = asyncio.Event()
        self._sem = asyncio.Semaphore(concurrency)
        self._migrations: list[tuple[int, int]] = []  # groups that became supergroups
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        # One deliverer per kind of outbox row (what `dispatch.service.notify` writes).
        self.deliverers: dict[str, Deliverer] = {
            Notice.UNIT_CARD: self._deliver_unit_card,
            Notice.CARD_UPDATE: self._deliver_card_update,
            Notice.RESIDENT_NOTICE: self._deliver_resident_notice,
            Notice.RATE_REQUEST: self._deliver_rate_request,
            Notice.VERIFY_TASK: self._deliver_verify_task,
            Notice.TRIAGE_NOTICE: self._deliver_triage_notice,
            Notice.REMINDER: self._deliver_reminder,
            Notice.ESCALATION: self._deliver_escalation,
            Notice.GROUP_NOTICE: self._deliver_group_notice,
            Notice.PATROL_FENCE: self._deliver_patrol_fence,
            Notice.PATROL_ENDED: self._deliver_patrol_ended,
            Notice.PATROL_DIGEST: self._deliver_patrol_digest,
            Notice.BULLETIN: self._deliver_bulletin,
        }

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
                if await _wait(self._wake, self.idle_s):
                    await asyncio.sleep(self.linger_s)

    async def run_once(self) -> int:
        """Deliver one batch of due rows; how many rows were handled."""
        now = self.app.clock.now()
        async with self.app.uow() as uow:
            async with self.gate():
                rows = await outbox.claim(uow, self.holder, now, self.batch_size, self.ttl)
            if not rows:
                return 0
            case_ids = sorted({r.case_id for r in rows if r.case_id is not None})
            views = await queries.views(uow, case_ids)
            cards = await outbox.cards(uow, case_ids)
            earliest = await outbox.earliest_pending(uow, case_ids)
        batch = Batch([r.id for r in rows], now + self.ttl)
        for r in rows:
            if r.lapsed_from is not None:
                self.stats.lapsed += 1
                log.warning(
                    "relay: row %s was claimed by %s, which stopped without recording", r.id, r.lapsed_from
                )
        groups: dict[Any, list[Pending]] = {}
        for r in rows:
            groups.setdefault(r.case_id if r.case_id is not None else ("row", r.id), []).append(r)
        ready = []
        for g in groups.values():
            first = earliest.get(g[0].case_id) if g[0].case_id is not None else None
            if first is not None and first[0] < g[0].id:  # an earlier row of this case is elsewhere
                wait = max(first[1], now + timedelta(seconds=EARLIER_WAIT_S))
                for r in g:
                    batch.add(
                        Outcome(
                            r.id,
                            "pending",
                            error="waiting for an earlier row",
                            retry_at=wait,
                            attempted=False,
                        )
                    )
            else:
                ready.append(g)
        tasks = [
            asyncio.create_task(
                self._group(
                    g,
                    views.get(g[0].case_id) if g[0].case_id else None,
                    list(cards.get(g[0].case_id, [])) if g[0].case_id else [],
                    batch,
                )
            )
            for g in ready
        ]
        finished = asyncio.Event()
        keeper = asyncio.create_task(self._keep(batch, finished))
        stopped = await _settle(tasks)  # every group, including the calls in flight when stopped
        finished.set()
        await to_the_end(keeper)
        for t in tasks:
            if t.done() and not t.cancelled() and t.exception() is not None:
                log.error("relay: a delivery group crashed", exc_info=t.exception())
        if stopped is not None:
            log.info("relay: stopped mid-batch; recording %d outcome(s)", len(batch.outcomes))
        try:
            await to_the_end(self._finish(batch, "relay stopped" if stopped is not None else "claim lapsing"))
        except Exception:
            if stopped is None:
                raise
            log.exception("relay: stopped, and its last outcomes could not be recorded")
        if stopped is not None:
            raise stopped  # a stop is never swallowed, even when recording failed
        if self._migrations:
            from dispatch.service.membership import migrate_chat

            moves, self._migrations = self._migrations, []
            for old, new in dict(moves).items():
                async with self.gate():
                    n = await migrate_chat(self.app.uow(), old, new, self.app.clock.now())
                log.info("relay: chat %s became %s (%d unit(s) follow)", old, new, n)
            await self.app.reload()
        return len(rows)

    async def _keep(self, batch: Batch, finished: asyncio.Event) -> None:
        """While the batch runs: commit the outcomes known so far (a crash then loses only the
        last tick's) and renew the claims still needed before they lapse."""
        while not await _wait(finished, self.tick_s):
            try:
                await self._flush(batch, renew=True)
            except Exception:
                log.exception("relay: could not record outcomes / renew claims; trying again")

    async def _flush(self, batch: Batch, *, renew: bool) -> None:
        now = self.app.clock.now()
        outstanding = batch.outstanding() if renew else []
        if outstanding and now < batch.valid_until - self.ttl * RENEW_AT:
            outstanding = []  # not due for renewal yet
        outcomes, batch.outcomes = batch.outcomes, []
        if not outcomes and not outstanding:
            return
        try:
            async with self.gate():
                async with self.app.uow() as uow:
                    if outcomes:
                        await outbox.record(uow, outcomes, now, self.holder)
                    held = await outbox.renew(uow, self.holder, outstanding, now, self.ttl)
                    await uow.commit()
        except BaseException:
            batch.outcomes[:0] = outcomes  # not written: the next flush tries again
            raise
        if outstanding:
            batch.valid_until = now + self.ttl
            lost = set(outstanding) - held - batch.done
            if lost:
                self.stats.lost += len(lost)
                log.warning("relay: %d claim(s) taken over by another relay: %s", len(lost), sorted(lost))
                batch.lost |= lost

    async def _finish(self, batch: Batch, why: str) -> None:
        """Commit every outcome and give back the rows never started (retried a few times:
        what is not recorded here is sent again once its claim lapses)."""
        now = self.app.clock.now()
        for i in batch.outstanding():
            batch.add(Outcome(i, "pending", error=f"not started: {why}", retry_at=now, attempted=False))
        for attempt in range(3):
            try:
                await self._flush(batch, renew=False)
                return
            except Exception:
                if attempt == 2:
                    raise
                log.exception("relay: could not record the batch; trying again")
                await asyncio.sleep(0.5 * 2**attempt)

    def _may_start(self, batch: Batch, row: Pending) -> bool:
        """Only while the claim is ours and not about to lapse (renewals may be failing)."""
        return row.id not in batch.lost and self.app.clock.now() < batch.valid_until - self.ttl * SAFE

    async def _group(
        self, rows: list[Pending], view: CaseView | None, cards: list[Card], batch: Batch
    ) -> None:
        """Deliver one case's rows in order, adding each outcome to the batch as it is known."""
        async with self._sem:
            token = current_case.set(rows[0].case_id)
            case_token = case_number.set(view.case.number if view is not None else None)
            try:
                for i, row in enumerate(rows):
                    if not self._may_start(batch, row):
                        return  # this row and the rest are given back at the end (if still ours)
                    accepted: list[Any] = []
                    progress = Outcome(row.id, "sent")
                    sent_token = _accepted.set(accepted)
                    try:
                        outcome = await self._one(row, view, cards, progress)
                    except asyncio.CancelledError:
                        interrupted = _interrupted(row, progress, accepted, self.app.clock.now())
                        if interrupted is not None:
                            batch.add(interrupted)
                        raise
                    finally:
                        _accepted.reset(sent_token)
                    if row.lapsed_from is not None and outcome.state == "sent" and outcome.error is None:
                        outcome.error = MAYBE_TWICE
                    batch.add(outcome)
                    DELIVERIES.labels(result=outcome.state if outcome.state != "pending" else "retry").inc()
                    if outcome.state == "pending":  # keep this case's order: the rest wait too
                        for later in rows[i + 1 :]:
                            batch.add(
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
                case_number.reset(case_token)

    async def _one(self, row: Pending, view: CaseView | None, cards: list[Card], outcome: Outcome) -> Outcome:
        """Deliver one row; `outcome` is filled in as it goes (the main message's id as soon as
        Telegram accepted it, cards posted), so a stop in the middle knows what went out."""
        try:
            if view is None and row.kind not in CASELESS:
                outcome.error = "case not found"
                self.stats.skipped += 1
                return outcome
            handler = self.deliverers.get(row.kind)
            if handler is None:
                raise Permanent(f"unknown outbox kind {row.kind!r}")
            single = row.kind not in MULTI_PART
            if single and row.parts_done >= 1:  # it went out; the relay before died unrecorded
                outcome.message_id, outcome.error = row.tg_message_id, RESUMED
                return outcome
            # (view is None only for kinds about no case, CASELESS, whose deliverers ignore it)
            outcome.message_id = await handler(row, cast(CaseView, view), cards, outcome)
            if single and outcome.message_id is not None:
                await self._step(row, 1, row.chat_id, outcome.message_id)
            if not (outcome.error or "").startswith("skipped"):
                self.stats.sent += 1
            log.debug("relay: row %s (%s → %s) sent", row.id, row.kind, row.chat_id)
            return outcome
        except Exception as exc:
            if outcome.message_id is not None:  # the main message went out; something after it failed
                log.warning("relay: row %s (%s) failed after sending: %s", row.id, row.kind, exc)
                self.stats.sent += 1
                outcome.error = f"after sending: {type(exc).__name__}: {exc}"
                return outcome
            return self._not_sent(row, exc, outcome.cards)

    def _not_sent(self, row: Pending, exc: Exception, cards: list[Card]) -> Outcome:
        """The outcome of a row whose main message did not go out."""
        if isinstance(exc, Throttled):  # nothing was sent for it: put back untried, no attempt counted
            self.stats.retried += 1
            return Outcome(
                row.id,
                "pending",
                error=str(exc),
                cards=cards,
                retry_at=self.app.clock.now() + timedelta(seconds=exc.wait),
                attempted=False,
            )
        if isinstance(exc, Retry):
            attempts = row.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                log.warning("relay: row %s failed after %d attempts: %s", row.id, attempts, exc)
                self.stats.failed += 1
                return Outcome(row.id, "failed", error=str(exc), cards=cards)
            self.stats.retried += 1
            delay = exc.after if exc.after > 0 else min(2.0**attempts, MAX_BACKOFF_S)
            return Outcome(
                row.id,
                "pending",
                error=str(exc),
                cards=cards,
                retry_at=self.app.clock.now() + timedelta(seconds=delay),
            )
        self.stats.failed += 1
        if isinstance(exc, Permanent):
            log.info("relay: row %s (%s → %s) failed: %s", row.id, row.kind, row.chat_id, exc)
            return Outcome(
                row.id,
                "failed",
                error=str(exc),
                cards=cards,
                blocked_tg=row.chat_id if exc.blocked and row.chat_id > 0 else None,
            )
        # a rendering bug must not wedge the queue
        log.error("relay: row %s (%s) crashed", row.id, row.kind, exc_info=exc)
        return Outcome(row.id, "failed", error=f"{type(exc).__name__}: {exc}", cards=cards)

    # -- calling Telegram ----------------------------------------------------------------------------



def _interrupted(row: Pending, progress: Outcome, accepted: list[Any], now: datetime) -> Outcome | None:
    """What to record for a row whose delivery was stopped midway (None: nothing went out, it
    is given back untried)."""
    if progress.message_id is not None:  # the main message went out: never send it again
        progress.state, progress.error, progress.retry_at = "sent", "interrupted after sending", None
        return progress
    if accepted:  # only extras went out (photos before a card, some of several edits): again
        return Outcome(
            row.id,
            "pending",
            error="interrupted before the main message",
            retry_at=now,
            cards=progress.cards,
            dropped_cards=progress.dropped_cards,
        )
    return None


async def _wait(event: asyncio.Event, timeout: float) -> bool:
    """Wait for `event` up to `timeout` seconds; whether it is set. (Not `asyncio.wait_for`: on
    Python 3.11 it returns normally — swallowing the cancellation — when the task is cancelled
    just as the event is set, and a stopped relay would go on running.)"""
    if event.is_set():
        return True
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({waiter}, timeout=timeout)
    finally:
        waiter.cancel()
    return event.is_set()


async def _settle(tasks: list[asyncio.Task[None]]) -> asyncio.CancelledError | None:
    """Wait until every task is done. If the caller is cancelled meanwhile, cancel them all and
    still wait: each lets the call it has in flight finish and notes what it sent. Returns that
    cancellation, for the caller to re-raise once the outcomes are recorded.

    (Not `gather`: a cancelled gather returns as soon as its first child is cancelled, while
    the others are still waiting for their calls — their outcomes would come too late.)"""
    stopped: asyncio.CancelledError | None = None
    pending: set[asyncio.Task[None]] = set(tasks)
    while pending:
        try:
            _, pending = await asyncio.wait(pending)
        except asyncio.CancelledError as exc:
            stopped = exc
            for t in pending:
                t.cancel()
    return stopped
