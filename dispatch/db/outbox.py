"""The outbox as a delivery queue: claim due rows, record what happened to each.

Rows are claimed through `dispatch.db.outbox_claim` (SKIP LOCKED on PostgreSQL, an
atomic re-checking UPDATE on SQLite, a claim that expires unless its relay renews it), so
several relays never deliver the same row twice. `failures` lists what could not be delivered
(permanent errors: a person blocked the bot, a chat or group that is gone)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, select, update

from dispatch.db import outbox_claim
from dispatch.db.orm import CardRow, MemberRow, OutboxRow
from dispatch.db.uow import UnitOfWork

CLAIM_TTL = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Pending:
    id: int
    case_id: int | None
    chat_id: int
    kind: str
    action: str
    attempts: int
    created_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    # The relay whose claim on this row lapsed before it recorded an outcome (it died or hung):
    # whether its last send reached Telegram is unknown.
    lapsed_from: str | None = None
    # Progress recorded by an earlier delivery of this row (see `progress`): the parts already
    # at Telegram, and its main message (chat and id) when that part went out.
    parts_done: int = 0
    part_chat_id: int | None = None
    tg_message_id: int | None = None


@dataclass(frozen=True, slots=True)
class Card:
    case_id: int
    chat_id: int
    message_id: int
    purpose: str  # unit / verify / triage


@dataclass(frozen=True, slots=True)
class Progress:
    """Parts 1…`parts_done` of a row's delivery are at Telegram (written as each call succeeds,
    so a relay that dies midway is continued from the next part, not started again)."""

    row_id: int
    parts_done: int
    chat_id: int | None = None  # the main message's chat and id, once that part went out
    message_id: int | None = None
    cards: tuple[Card, ...] = ()  # a card that part posted


@dataclass(slots=True)
class Outcome:
    """What happened to one outbox row."""

    row_id: int
    state: str  # sent / pending (retry later) / failed
    message_id: int | None = None
    error: str | None = None
    retry_at: datetime | None = None
    cards: list[Card] = field(default_factory=list)  # cards posted (upserted by case/chat/purpose)
    dropped_cards: list[Card] = field(default_factory=list)  # cards whose message is gone
    blocked_tg: int | None = None  # this person blocked the bot
    attempted: bool = True  # False: put back untried (an earlier row of its case comes first)


async def claim(
    uow: UnitOfWork, holder: str, now: datetime, limit: int, ttl: timedelta = CLAIM_TTL
) -> list[Pending]:
    """Take up to `limit` due rows for this relay (committed: other relays skip them)."""
    claimed = await outbox_claim.claim(uow.session, holder, now, limit, ttl)
    return [
        Pending(
            r.id,
            r.case_id,
            r.chat_id,
            r.kind,
            str((r.payload or {}).get("action", "")),
            r.attempts,
            r.created_at,
            {k: v for k, v in (r.payload or {}).items() if k != outbox_claim.LAPSED_FROM},
            claimed.lapsed.get(r.id),
            r.parts_done or 0,
            r.part_chat_id,
            r.tg_message_id,
        )
        for r in claimed.rows
    ]


async def renew(
    uow: UnitOfWork, holder: str, ids: list[int], now: datetime, ttl: timedelta = CLAIM_TTL
) -> set[int]:
    """Keep this relay's claims on the rows it is still working on; the ids it still holds."""
    return await outbox_claim.renew(uow.session, holder, ids, now, ttl)


async def cards(uow: UnitOfWork, case_ids: Sequence[int]) -> dict[int, list[Card]]:
    if not case_ids:
        return {}
    rows = (
        await uow.session.scalars(
            select(CardRow).where(CardRow.case_id.in_(list(case_ids))).order_by(CardRow.id)
        )
    ).all()
    out: dict[int, list[Card]] = {}
    for r in rows:
        out.setdefault(r.case_id, []).append(Card(r.case_id, r.chat_id, r.tg_message_id, r.purpose))
    return out


async def earliest_pending(uow: UnitOfWork, case_ids: Sequence[int]) -> dict[int, tuple[int, datetime]]:
    """Per case: the oldest pending row (id, when it is due). A case's notifications go out in
    order, so a later row waits while an earlier one is backing off."""
    if not case_ids:
        return {}
    t = cast(Table, OutboxRow.__table__)
    first = (
        select(t.c.case_id, func.min(t.c.id).label("first_id"))
        .where(t.c.case_id.in_(list(case_ids)), t.c.state == "pending")
        .group_by(t.c.case_id)
        .subquery()
    )
    rows = (
        await uow.session.execute(
            select(t.c.case_id, t.c.id, t.c.next_attempt_at).join(first, t.c.id == first.c.first_id)
        )
    ).all()
    return {int(r.case_id): (int(r.id), r.next_attempt_at) for r in rows}


async def progress(uow: UnitOfWork, steps: Sequence[Progress]) -> None:
    """Write delivery progress in the caller's transaction, whoever holds the row now (a part
    that went out is a fact). Never moves a row's progress backwards."""
    if not steps:
        return
    t = cast(Table, OutboxRow.__table__)
    latest = {s.row_id: s for s in sorted(steps, key=lambda s: s.parts_done)}
    await uow.session.execute(
        update(t)
        .where((t.c.id == bindparam("rid")) & (t.c.parts_done < bindparam("n")))
        .values(
            parts_done=bindparam("n"),
            part_chat_id=func.coalesce(bindparam("chat"), t.c.part_chat_id),
            tg_message_id=func.coalesce(bindparam("mid"), t.c.tg_message_id),
        ),
        [
            {"rid": s.row_id, "n": s.parts_done, "chat": s.chat_id, "mid": s.message_id}
            for s in latest.values()
        ],
    )
    await _upsert_cards(uow, [c for s in steps for c in s.cards])


async def record(
    uow: UnitOfWork, outcomes: Sequence[Outcome], now: datetime, holder: str | None = None
) -> None:
    """Write every outcome in the caller's transaction (a few executemany statements).

    With `holder`, only a "sent" outcome is written whoever holds the row now (the message
    went out: that is a fact); a failure or a retry is written only while this relay still
    holds the claim, so it never releases a row another relay has taken over meanwhile."""
    t = cast(Table, OutboxRow.__table__)  # Core: one executemany per kind of outcome
    common = {
        "attempts": t.c.attempts + 1,
        "last_error": bindparam("err"),
        "claimed_by": None,
        "claimed_until": None,
    }
    sent = [{"rid": o.row_id, "err": o.error, "mid": o.message_id} for o in outcomes if o.state == "sent"]
    failed = [{"rid": o.row_id, "err": o.error} for o in outcomes if o.state == "failed"]
    later = [
        {"rid": o.row_id, "err": o.error, "at": o.retry_at or now}
        for o in outcomes
        if o.state not in ("sent", "failed") and o.attempted
    ]
    untried = [
        {"rid": o.row_id, "err": o.error, "at": o.retry_at or now}
        for o in outcomes
        if o.state not in ("sent", "failed") and not o.attempted
    ]
    row = t.c.id == bindparam("rid")
    held = row if holder is None else (row & (t.c.claimed_by == holder))
    if sent:
        await uow.session.execute(
            update(t)
            .where(row)
            .values(
                **common,
                state="sent",
                sent_at=now,
                tg_message_id=func.coalesce(bindparam("mid"), t.c.tg_message_id),
            ),
            sent,
        )
    if failed:
        await uow.session.execute(update(t).where(held).values(**common, state="failed"), failed)
    if later:
        await uow.session.execute(
            update(t).where(held).values(**common, next_attempt_at=bindparam("at")), later
        )
    if untried:
        await uow.session.execute(
            update(t)
            .where(held)
            .values(
                last_error=bindparam("err"),
                claimed_by=None,
                claimed_until=None,
                next_attempt_at=bindparam("at"),
            ),
            untried,
        )
    await _upsert_cards(uow, [c for o in outcomes for c in o.cards])
    for c in (c for o in outcomes for c in o.dropped_cards):
        await uow.session.execute(
            delete(CardRow).where(
                CardRow.case_id == c.case_id,
                CardRow.chat_id == c.chat_id,
                CardRow.purpose == c.purpose,
                CardRow.tg_message_id == c.message_id,
            )
        )
    blocked = sorted({o.blocked_tg for o in outcomes if o.blocked_tg is not None})
    if blocked:
        await uow.session.execute(update(MemberRow).where(MemberRow.tg_id.in_(blocked)).values(blocked=True))


async def _upsert_cards(uow: UnitOfWork, cards: Sequence[Card]) -> None:
    """Where each case's card is now (one row per case, chat and purpose)."""
    posted = {(c.case_id, c.chat_id, c.purpose): c for c in cards}
    if posted:
        ins = _insert(uow)(CardRow).values(
            [
                {
                    "case_id": c.case_id,
                    "chat_id": c.chat_id,
                    "purpose": c.purpose,
                    "tg_message_id": c.message_id,
                }
                for c in posted.values()
            ]
        )
        await uow.session.execute(
            ins.on_conflict_do_update(
                index_elements=["case_id", "chat_id", "purpose"],
                set_={"tg_message_id": ins.excluded.tg_message_id},
            )
        )


@dataclass(frozen=True, slots=True)
class Failure:
    """A notification that was given up on, and why (shown to admins)."""

    row_id: int
    case_id: int | None
    chat_id: int
    kind: str
    action: str
    error: str
    attempts: int
    created_at: datetime


async def failures(uow: UnitOfWork, *, case_id: int | None = None, limit: int = 100) -> list[Failure]:
    """Notifications that failed for good (403 blocked, chat not found, a deleted group, too
    many attempts), newest first; optionally of one case."""
    q = select(OutboxRow).where(OutboxRow.state == "failed")
    if case_id is not None:
        q = q.where(OutboxRow.case_id == case_id)
    rows = (await uow.session.scalars(q.order_by(OutboxRow.id.desc()).limit(limit))).all()
    return [
        Failure(
            r.id,
            r.case_id,
            r.chat_id,
            r.kind,
            str((r.payload or {}).get("action", "")),
            r.last_error or "",
            r.attempts,
            r.created_at,
        )
        for r in rows
    ]


def _insert(uow: UnitOfWork) -> Any:
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return pg_insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite_insert
