"""Moving a unit's work group to another Telegram group takes an admin's approval.

`/bind <code>` in a group while the unit already has another group does not move anything
(unless the sender is an admin: their own explicit action):
it records a request (`request`), tells the unit's current group that someone asked, and
routes nothing to the new group. An admin approves or rejects it (`decide`): on approval the
unit's chat moves (audit-logged: who approved, old → new chat), the old group is told that
the unit's cases now go elsewhere and the new group gets a confirmation; on rejection the
group that asked is told. The notices are outbox rows (kind `group_notice`), delivered by the
relay like every other notification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.db.orm import UnitChatMoveRow
from dispatch.db.uow import UnitOfWork
from dispatch.domain.errors import DomainError
from dispatch.service import config_log
from dispatch.service.config_log import AuditActor

KIND = "group_notice"
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


class MoveNotPending(DomainError):
    """The request was decided already (or does not exist)."""


@dataclass(frozen=True, slots=True)
class ChatMove:
    id: int
    unit_id: str
    from_chat_id: int | None
    to_chat_id: int
    to_chat_title: str | None
    requested_by: int
    requested_at: datetime
    state: str
    decided_by: str | None = None
    decided_at: datetime | None = None


def _move(r: UnitChatMoveRow) -> ChatMove:
    return ChatMove(
        r.id,
        r.unit_id,
        r.from_chat_id,
        r.to_chat_id,
        r.to_chat_title,
        r.requested_by,
        r.requested_at,
        r.state,
        r.decided_by,
        r.decided_at,
    )


def _doc(r: UnitChatMoveRow) -> dict[str, object]:
    return {
        "unit": r.unit_id,
        "from_chat_id": r.from_chat_id,
        "to_chat_id": r.to_chat_id,
        "requested_by": r.requested_by,
        "state": r.state,
    }


async def request(
    uow: UnitOfWork,
    unit_id: str,
    from_chat_id: int,
    to_chat_id: int,
    title: str | None,
    tg_id: int,
    now: datetime,
    *,
    by_admin: bool = False,
) -> ChatMove:
    """In the caller's transaction: a pending request to move `unit_id` from its group
    `from_chat_id` to `to_chat_id` (one per unit and group: asking again changes nothing),
    and the unit's group is told. `by_admin`: an admin's own `/bind` in the new group is the
    approval — the unit moves at once and its old group is told (the new group gets the bind
    reply)."""
    session = uow.session
    row = await session.scalar(
        select(UnitChatMoveRow).where(
            UnitChatMoveRow.unit_id == unit_id,
            UnitChatMoveRow.to_chat_id == to_chat_id,
            UnitChatMoveRow.state == PENDING,
        )
    )
    if row is not None and not by_admin:
        return _move(row)
    actor = AuditActor("telegram", str(tg_id))
    row = UnitChatMoveRow(
        unit_id=unit_id,
        from_chat_id=from_chat_id,
        to_chat_id=to_chat_id,
        to_chat_title=(title or "")[:255] or None,
        requested_by=tg_id,
        requested_at=now,
        state=APPROVED if by_admin else PENDING,
        decided_by=actor.label if by_admin else None,
        decided_at=now if by_admin else None,
    )
    session.add(row)
    await session.flush()
    await config_log.record(session, now, actor, "unit_chat_move", str(row.id), None, _doc(row))
    if by_admin:
        await _approve(uow, session, row, from_chat_id, actor, now, tell_new=False)
    else:
        _notice(uow, from_chat_id, "move_requested", row, now)
    return _move(row)


async def pending(uow: UnitOfWork, unit_id: str | None = None) -> list[ChatMove]:
    """Requests waiting for an admin, oldest first (of one unit, or all)."""
    async with uow:
        q = select(UnitChatMoveRow).where(UnitChatMoveRow.state == PENDING)
        if unit_id is not None:
            q = q.where(UnitChatMoveRow.unit_id == unit_id)
        rows = (await uow.session.scalars(q.order_by(UnitChatMoveRow.id))).all()
        return [_move(r) for r in rows]


async def decide(
    uow: UnitOfWork,
    move_id: int,
    approve: bool,
    actor: AuditActor,
    now: datetime,
    unit_id: str | None = None,
) -> ChatMove:
    """Approve (the unit's chat moves) or reject a pending request (of `unit_id`, if given);
    audit-logged, and the groups concerned are told."""
    async with uow:
        session = uow.session
        row = await session.get(UnitChatMoveRow, move_id, with_for_update=True)
        if row is None or row.state != PENDING or unit_id not in (None, row.unit_id):
            raise MoveNotPending(f"move request {move_id} is not pending")
        unit = await uow.units.get(row.unit_id)
        if unit is None:
            raise DomainError(f"unknown unit {row.unit_id!r}")
        before = _doc(row)
        row.state = APPROVED if approve else REJECTED
        row.decided_by, row.decided_at = actor.label, now
        await config_log.record(session, now, actor, "unit_chat_move", str(row.id), before, _doc(row))
        if approve:
            await _approve(uow, session, row, unit.chat_id, actor, now)
        else:
            _notice(uow, row.to_chat_id, "move_rejected", row, now)
        await uow.commit()
        return _move(row)


async def _approve(
    uow: UnitOfWork,
    session: AsyncSession,
    row: UnitChatMoveRow,
    old_chat: int | None,
    actor: AuditActor,
    now: datetime,
    *,
    tell_new: bool = True,
) -> None:
    other = await uow.units.by_chat(row.to_chat_id)
    if other is not None and other.id != row.unit_id:
        raise DomainError(f"chat {row.to_chat_id} is the group of {other.id}")
    await uow.units.set_chat(row.unit_id, row.to_chat_id)
    await config_log.record(
        session,
        now,
        actor,
        "unit",
        row.unit_id,
        {"chat_id": old_chat},
        {"chat_id": row.to_chat_id},
        summary=f"chat_id: {old_chat} → {row.to_chat_id} (move request {row.id}, "
        f"asked by telegram:{row.requested_by}, approved by {actor.label})",
    )
    if old_chat is not None and old_chat != row.to_chat_id:
        _notice(uow, old_chat, "move_done_old", row, now)
    if tell_new:
        _notice(uow, row.to_chat_id, "move_done_new", row, now)


def moved_by_form(
    uow: UnitOfWork, unit_id: str, old_chat: int | None, new_chat: int | None, now: datetime
) -> None:
    """In the caller's transaction: an admin changed the unit's group on its console form (the
    change itself is audit-logged there): the old group and the new one are told."""
    if old_chat == new_chat:
        return
    if old_chat is not None:
        _send(uow, old_chat, "move_done_old", unit_id, new_chat, None, now)
    if new_chat is not None:
        _send(uow, new_chat, "move_done_new", unit_id, new_chat, None, now)


def _notice(uow: UnitOfWork, chat_id: int, action: str, row: UnitChatMoveRow, now: datetime) -> None:
    _send(uow, chat_id, action, row.unit_id, row.to_chat_id, row.to_chat_title, now)


def _send(
    uow: UnitOfWork,
    chat_id: int,
    action: str,
    unit_id: str,
    to_chat: int | None,
    title: str | None,
    now: datetime,
) -> None:
    payload = {"action": action, "unit": unit_id, "to_chat": to_chat, "title": title}
    uow.outbox.add(chat_id=chat_id, kind=KIND, payload=payload, now=now)
