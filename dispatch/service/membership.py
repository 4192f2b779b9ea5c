"""Joining: invite codes for unit members and grid workers, binding a group to a unit,
a group that became a supergroup, and people who blocked the bot."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from dispatch.db.orm import CardRow, GroupBindingRow
from dispatch.db.uow import UnitOfWork
from dispatch.domain.errors import DomainError, NotAuthorised
from dispatch.domain.members import Member, Role
from dispatch.service import chat_moves, config_log
from dispatch.service.chat_moves import ChatMove
from dispatch.service.config_log import AuditActor
from dispatch.service.registry import Registry

PURPOSES = ("unit_member", "grid_worker", "bind_group")
INVITE_TTL = timedelta(days=7)


class InviteInvalid(DomainError):
    """Unknown or expired code."""


class InviteUsed(DomainError):
    """The code was redeemed already."""


@dataclass(frozen=True, slots=True)
class Redeemed:
    purpose: str
    target: str
    member: Member | None = None
    move: ChatMove | None = None  # `/bind` asked to move the unit's group: awaiting an admin


def new_code() -> str:
    # Telegram deep-link payloads allow A-Z a-z 0-9 _ - and at most 64 characters.
    return secrets.token_urlsafe(16)


async def create_invite(
    uow: UnitOfWork,
    registry: Registry,
    purpose: str,
    target: str,
    now: datetime,
    ttl: timedelta | None = INVITE_TTL,
) -> str:
    if purpose not in PURPOSES:
        raise DomainError(f"unknown invite purpose {purpose!r}")
    if purpose in ("unit_member", "bind_group") and target not in registry.units:
        raise DomainError(f"unknown unit {target!r}")
    if purpose == "grid_worker" and target not in registry.tree:
        raise DomainError(f"unknown grid {target!r}")
    code = new_code()
    async with uow:
        uow.session.add(
            GroupBindingRow(
                code=code,
                purpose=purpose,
                target=target,
                created_at=now,
                expires_at=now + ttl if ttl else None,
            )
        )
        await uow.commit()
    return code


async def _take(uow: UnitOfWork, code: str, purposes: tuple[str, ...], now: datetime) -> GroupBindingRow:
    row = await uow.session.get(GroupBindingRow, code)
    if row is None or row.purpose not in purposes:
        raise InviteInvalid("unknown code")
    if row.expires_at is not None and row.expires_at < now:
        raise InviteInvalid("expired code")
    if row.used_by is not None:
        raise InviteUsed("code already used")
    return row


async def redeem_invite(uow: UnitOfWork, code: str, tg_id: int, name: str, now: datetime) -> Redeemed:
    """`/start <code>`: add the unit-member or grid-worker role (one use per code)."""
    async with uow:
        row = await _take(uow, code, ("unit_member", "grid_worker"), now)
        m = await uow.members.by_tg(tg_id) or Member(tg_id=tg_id, name=name or str(tg_id))
        if row.purpose == "unit_member":
            m.roles.add(Role.UNIT_MEMBER.value)
            m.units.add(row.target)
        else:
            m.roles.add(Role.GRID_WORKER.value)
            m.grids.add(row.target)
        m.blocked = False
        m = await uow.members.save(m, now)
        row.used_by, row.used_at = tg_id, now
        await uow.commit()
        return Redeemed(row.purpose, row.target, m)


async def bind_group(
    uow: UnitOfWork, code: str, chat_id: int, tg_id: int, now: datetime, title: str | None = None
) -> Redeemed:
    """`/bind <code>` in a group: that group becomes the unit's work group if the unit has
    none yet (or it is this one), or if the sender is an admin (the old group is told). Else a
    unit that has another group is not moved: a request for an admin to approve is recorded
    instead (`chat_moves`), and the code is used up."""
    async with uow:
        row = await _take(uow, code, ("bind_group",), now)
        m = await uow.members.by_tg(tg_id)
        if m is None or not (m.is_staff or row.target in m.units):
            raise NotAuthorised(f"{tg_id} may not bind a group for {row.target}")
        unit = await uow.units.get(row.target)
        row.used_by, row.used_at = tg_id, now
        other = await uow.units.by_chat(chat_id)
        if other is not None and other.id != row.target:
            raise NotAuthorised(f"chat {chat_id} is the group of {other.id} already")
        if unit is not None and unit.chat_id is not None and unit.chat_id != chat_id:
            admin = m.has(Role.ADMIN)  # an admin's own /bind is the approval
            move = await chat_moves.request(
                uow, row.target, unit.chat_id, chat_id, title, tg_id, now, by_admin=admin
            )
            await uow.commit()
            return Redeemed(row.purpose, row.target, m, None if admin else move)
        await uow.units.set_chat(row.target, chat_id)
        # The unit's group is configuration: audited, and other processes reload it.
        await config_log.record(
            uow.session,
            now,
            AuditActor("telegram", str(tg_id)),
            "unit",
            row.target,
            {"chat_id": unit.chat_id if unit else None},
            {"chat_id": chat_id},
        )
        await uow.commit()
        return Redeemed(row.purpose, row.target, m)


async def migrate_chat(
    uow: UnitOfWork, old_chat_id: int, new_chat_id: int, now: datetime | None = None
) -> int:
    """A group upgraded to a supergroup: units and posted cards follow the new id."""
    async with uow:
        n = await uow.units.migrate_chat(old_chat_id, new_chat_id)
        await uow.session.execute(
            update(CardRow).where(CardRow.chat_id == old_chat_id).values(chat_id=new_chat_id)
        )
        if n:
            await config_log.record(
                uow.session,
                now or datetime.now(UTC),
                AuditActor("telegram", "migrate_to_chat_id"),
                "unit_chat",
                str(old_chat_id),
                {"chat_id": old_chat_id},
                {"chat_id": new_chat_id},
            )
        await uow.commit()
    return n


async def set_blocked(uow: UnitOfWork, tg_id: int, blocked: bool, now: datetime) -> bool:
    """Flag a person who blocked the bot (403), or clear the flag when they come back."""
    async with uow:
        m = await uow.members.by_tg(tg_id)
        if m is None or m.blocked == blocked:
            return False
        m.blocked = blocked
        await uow.members.save(m, now)
        await uow.commit()
    return True
