"""Retention: residents' personal data is anonymised a configured time after their case
ended (policy `retention.anonymise_after_days`, default 365), by the scheduler, once per case
and once per person, audit-logged. The case itself — category, place, grid, unit, times,
status, rating, events, photos — and so every assessment figure stay as they were.

For a case that ended (closed, cancelled or duplicate) that long ago:

* the case's description and its NLU correction example: mobile numbers masked;
* its transcript: the resident's own messages lose their Telegram user id and their mobile
  numbers, a shared contact (phone, name) is emptied; the messages of the resident's private
  chat with the bot (in and out) lose the chat id (set to 0), which is their Telegram id;
* the 12345 caller's name and number, the Open311 requester's name, email, phone, device and
  account ids: cleared.

A resident (a person known by Telegram id or entered at the console as a caller; not staff,
not the shared hotline and Open311 members) is anonymised once every case they reported has
been: name → 已匿名居民, phone cleared, the Telegram id unlinked (if they write again they
are a new member), and their messages outside any case treated as above."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update

import texts
from dispatch.db.channel_tables import HotlineOrderRow, Open311RequestRow
from dispatch.db.orm import CaseRow, ChatSubmissionRow, MemberRow, MessageRow, NluCorrectionRow
from dispatch.db.uow import UnitOfWork
from dispatch.domain.members import Role
from dispatch.domain.policy import RetentionPolicy
from dispatch.domain.status import FINAL
from dispatch.observe.personal import MOBILE
from dispatch.service import config_log

BATCH = 200
PERSON_REFS = ("tg-", "intake-")  # people, not the shared hotline / Open311 members
ACTOR = config_log.AuditActor("system", "retention")


def mask(text: str) -> str:
    return MOBILE.sub(texts.RETENTION["masked_phone"], text)


@dataclass
class RetentionResult:
    cases: list[str] = field(default_factory=list)
    members: int = 0


async def anonymise_due(uow: UnitOfWork, policy: RetentionPolicy, now: datetime, *, batch: int = BATCH,
                        max_cases: int | None = None) -> RetentionResult:
    """Anonymise the cases (and then residents) whose time has come; one transaction per
    batch of cases, with one audit row for it; stops after the batch that reaches
    `max_cases`. Safe to run again: done ones are skipped."""
    result = RetentionResult()
    if not policy.enabled:
        return result
    cutoff = now - timedelta(days=policy.anonymise_after_days)
    while True:
        async with uow:
            s = uow.session
            ended = func.coalesce(CaseRow.closed_at, CaseRow.updated_at)
            rows = (await s.execute(
                select(CaseRow.id, CaseRow.number, CaseRow.reporter_id)
                .where(CaseRow.status.in_([st.value for st in FINAL]), CaseRow.anonymised_at.is_(None),
                       ended <= cutoff)
                .order_by(CaseRow.id).limit(batch)
            )).all()
            if not rows:
                return result
            members = await _anonymise_cases(uow, [r.id for r in rows], {r.reporter_id for r in rows}, now)
            numbers = [r.number for r in rows]
            await config_log.record(
                s, now, ACTOR, "retention", "", None,
                {"cases": numbers, "members": members},
                summary=f"anonymised {len(numbers)} case(s) closed before {cutoff:%Y-%m-%d} "
                        f"and {len(members)} resident(s): {', '.join(numbers)}",
            )
            await uow.commit()
        result.cases += numbers
        result.members += len(members)
        if max_cases is not None and len(result.cases) >= max_cases:
            return result


async def _anonymise_cases(uow: UnitOfWork, case_ids: list[int], reporters: set[int | None],
                           now: datetime) -> list[int]:
    s = uow.session
    ids = [r for r in reporters if r is not None]
    people = {m.id: m.tg_id for m in (await s.execute(
        select(MemberRow.id, MemberRow.tg_id).where(MemberRow.id.in_(ids)))).all()}
    for case_id, description, reporter_id in (await s.execute(
        select(CaseRow.id, CaseRow.description, CaseRow.reporter_id).where(CaseRow.id.in_(case_ids))
    )).all():
        await s.execute(update(CaseRow).where(CaseRow.id == case_id)
                        .values(description=mask(description), anonymised_at=now))
        tg = people.get(reporter_id) if reporter_id is not None else None
        await _transcript(uow, MessageRow.case_id == case_id, tg)
    await s.execute(delete(ChatSubmissionRow).where(ChatSubmissionRow.case_id.in_(case_ids)))  # Telegram ids
    corrections = select(NluCorrectionRow).where(NluCorrectionRow.case_id.in_(case_ids))
    for row in (await s.execute(corrections)).scalars():
        row.text = mask(row.text)
    await s.execute(update(HotlineOrderRow).where(HotlineOrderRow.case_id.in_(case_ids))
                    .values(caller_name=None, caller_phone=None))
    await s.execute(update(Open311RequestRow).where(Open311RequestRow.case_id.in_(case_ids))
                    .values(first_name=None, last_name=None, email=None, phone=None, device_id=None,
                            account_id=None))
    return await _residents(uow, list(people), now)


async def _transcript(uow: UnitOfWork, which: object, tg_id: int | None) -> None:
    """The resident's messages among `which`: no user id, no chat id of their private chat,
    no mobile numbers, no shared contact."""
    if tg_id is None:
        return
    s = uow.session
    mine = or_(MessageRow.user_id == tg_id, MessageRow.chat_id == tg_id)
    for msg in (await s.execute(select(MessageRow).where(and_(which, mine)))).scalars():  # type: ignore[arg-type]
        msg.text = "" if msg.kind == "contact" else mask(msg.text)
        if msg.kind == "contact":
            msg.payload = {}
        if msg.user_id == tg_id:
            msg.user_id = None
        if msg.chat_id == tg_id:
            msg.chat_id = 0


async def _residents(uow: UnitOfWork, member_ids: Sequence[int], now: datetime) -> list[int]:
    """Anonymise those of `member_ids` who are residents and have no case left to anonymise."""
    s = uow.session
    done: list[int] = []
    candidates = (await s.execute(
        select(MemberRow).where(MemberRow.id.in_(member_ids), MemberRow.anonymised_at.is_(None))
    )).scalars().all()
    for m in candidates:
        if set(m.roles or []) - {Role.RESIDENT.value} or not m.ref.startswith(PERSON_REFS):
            continue
        left = await s.scalar(select(func.count()).select_from(CaseRow)
                              .where(CaseRow.reporter_id == m.id, CaseRow.anonymised_at.is_(None)))
        if left:
            continue
        if m.tg_id is not None:
            await _transcript(uow, MessageRow.case_id.is_(None), m.tg_id)
        m.name, m.phone, m.tg_id = texts.RETENTION["anonymous_name"], None, None
        m.ref, m.anonymised_at = f"anon-{m.id}", now
        done.append(m.id)
    return done
