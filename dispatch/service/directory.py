"""Editing the directory: members' roles and scopes, units' routing. The console's forms call
these (so does anything else that edits them), so the rules live here once: the members
file's validation, the routing-tie check, the audit log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select

import texts
from dispatch.db.console_tables import AdminUserRow
from dispatch.db.uow import UnitOfWork
from dispatch.domain.errors import DomainError
from dispatch.domain.members import STAFF_ROLES, Member, check_member
from dispatch.service import config_log
from dispatch.service.config_log import AuditActor
from dispatch.service.registry import Registry

ACTING_ACCOUNT_ROLES = ("admin", "dispatcher")  # console accounts that act as their member


class DirectoryError(DomainError):
    """A refused edit, phrased for the person."""


async def edit_member(
    uow: UnitOfWork,
    registry: Registry,
    member_id: int,
    roles: Iterable[str],
    grids: Iterable[str],
    units: Iterable[str],
    now: datetime,
    actor: AuditActor,
) -> Member:
    """Give a member these roles and scopes (validated as `gridbot members` validates them;
    scopes without their role are dropped), audit-logged. A member a console account acts as
    stays staff."""
    T = texts.ADMIN
    async with uow:
        member = await uow.members.get(member_id)
        if member is None:
            raise DirectoryError(T["cfg_no_member"])
        known_units = {u.id for u in await uow.units.all()}
        edited = check_member(
            replace(member, roles=set(roles), grids=set(grids), units=set(units)),
            registry.tree, known_units)
        acting = await uow.session.scalar(
            select(AdminUserRow.username).where(AdminUserRow.member_id == member_id,
                                                AdminUserRow.active.is_(True),
                                                AdminUserRow.role.in_(ACTING_ACCOUNT_ROLES)))
        if acting is not None and not (edited.roles & STAFF_ROLES):
            raise DirectoryError(T["cfg_console_staff"].format(username=acting))
        await uow.members.save(edited, now)
        await config_log.record(uow.session, now, actor, "member", str(member_id),
                                config_log.member_doc(member), config_log.member_doc(edited))
        await uow.commit()
    return edited
