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
from dispatch.domain.routing import CATCH_ALL, RoutingTable, Unit
from dispatch.service import chat_moves, config_log
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


async def edit_unit(
    uow: UnitOfWork,
    registry: Registry,
    unit_id: str,
    *,
    name: str,
    chat_id: int | None,
    active: bool,
    categories: Iterable[str],
    grids: Iterable[str],
    now: datetime,
    actor: AuditActor,
) -> Unit:
    """Change a unit's name, group, categories and grids: refused if the routing would be tied
    anywhere or the group is another unit's; audit-logged; a changed group tells the old and
    the new one. The caller reloads the registry."""
    T = texts.ADMIN
    name = name.strip()
    cats = frozenset(categories)
    scope = tuple(dict.fromkeys(grids))
    if not name or len(name) > 200:
        raise DirectoryError(T["cfg_unit_name"])
    known_cats = {c.id for c in registry.taxonomy.categories} | {CATCH_ALL}
    if bad := sorted(cats - known_cats):
        raise DirectoryError(_unknown(T["unit_categories"], bad))
    if bad := sorted(g for g in scope if g not in registry.tree):
        raise DirectoryError(_unknown(T["unit_grids"], bad))
    async with uow:
        unit = await uow.units.get(unit_id)
        if unit is None:
            raise DirectoryError(T["cfg_no_unit"])
        if chat_id is not None:
            other = await uow.units.by_chat(chat_id)
            if other is not None and other.id != unit_id:
                raise DirectoryError(T["cfg_chat_taken"].format(unit=other.name))
        edited = replace(unit, name=name, chat_id=chat_id, active=active, categories=cats, grids=scope)
        others = [u for u in await uow.units.all() if u.id != unit_id]
        RoutingTable([*others, edited]).check(registry.tree)  # a tie → RoutingConfigError
        await uow.units.upsert_many([edited], now)
        await config_log.record(uow.session, now, actor, "unit", unit_id,
                                config_log.unit_doc(unit), config_log.unit_doc(edited))
        chat_moves.moved_by_form(uow, unit_id, unit.chat_id, chat_id, now)  # the groups are told
        await uow.commit()
    return edited


def _unknown(kind: str, ids: list[str]) -> str:
    return texts.ADMIN["cfg_unknown"].format(kind=kind, ids="、".join(ids))
