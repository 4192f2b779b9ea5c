"""Configuration pages: grids on a map, units and members (admins edit them; every edit is
audit-logged and bumps the configuration version), invite codes, category time limits (shown
here, edited on the policy page), console accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import func, select

import texts
from admin import accounts, stats
from admin.accounts import AccountError, SessionInfo
from admin.web import ADMIN, VIEWER, flash, gb, now, redirect, render_page
from dispatch.db.console_tables import AdminUserRow
from dispatch.db.orm import CaseRow, GroupBindingRow, MemberRow
from dispatch.domain.errors import DomainError
from dispatch.domain.members import Role
from dispatch.domain.routing import CATCH_ALL
from dispatch.domain.status import OPEN
from dispatch.service import chat_moves, directory, membership
from dispatch.service.config_log import AuditActor
from dispatch.service.intake import INTAKE_REF_PREFIX

router = APIRouter(prefix="/config")
T = texts.ADMIN


@router.get("/grids")
async def grids(request: Request, info: SessionInfo = VIEWER) -> Response:
    from admin.routes.cases import grid_options

    app = gb(request)
    tree = app.registry.tree
    rows = [(gid, name, level, len(tree.children.get(gid, ())), len(tree.get(gid).places))
            for gid, name, level in grid_options(app.registry)]
    return await render_page(request, "config_grids.html", {"nav": "config", "sub": "grids", "rows": rows})


@router.get("/grids.json")
async def grids_json(request: Request, info: SessionInfo = VIEWER) -> Response:
    geo = stats.grid_features(gb(request).registry)
    return JSONResponse({"type": "FeatureCollection", "features": geo["features"]})


@router.get("/units")
async def units(request: Request, info: SessionInfo = VIEWER) -> Response:
    app = gb(request)
    async with app.uow() as uow:
        open_by_unit = dict((await uow.session.execute(
            select(CaseRow.unit_id, func.count()).where(CaseRow.status.in_(sorted(s.value for s in OPEN)))
            .group_by(CaseRow.unit_id))).all())
    units = sorted(app.registry.units.values(), key=lambda u: u.id)
    return await render_page(request, "config_units.html", {
        "nav": "config", "sub": "units", "units": units, "open_by_unit": open_by_unit})


@router.get("/members")
async def members(request: Request, info: SessionInfo = VIEWER) -> Response:
    app = gb(request)
    async with app.uow() as uow:
        # callers entered with a console intake are not the directory's, and stay private
        rows = (await uow.session.scalars(
            select(MemberRow).where(MemberRow.ref.not_like(f"{INTAKE_REF_PREFIX}%"))
            .order_by(MemberRow.id).limit(5000))).all()
        linked = dict((await uow.session.execute(
            select(AdminUserRow.member_id, AdminUserRow.username)
            .where(AdminUserRow.member_id.is_not(None)))).all())
    return await render_page(request, "config_members.html", {
        "nav": "config", "sub": "members", "members": rows, "linked": linked})


# -- editing (admins) ------------------------------------------------------------------------------
class ConfigError(DomainError):
    """Bad input on a configuration form; nothing is saved."""


ROLE_ORDER = [r.value for r in Role]


def console_actor(info: SessionInfo) -> AuditActor:
    """Who changed the configuration, for the audit log: the console account."""
    return AuditActor("admin", info.user.username)


@router.get("/members/{member_id}")
async def member_edit(request: Request, member_id: int, info: SessionInfo = ADMIN) -> Response:
    from admin.routes.cases import grid_options

    app = gb(request)
    async with app.uow() as uow:
        member = await uow.members.get(member_id)
        linked = await uow.session.scalar(
            select(AdminUserRow.username).where(AdminUserRow.member_id == member_id))
    if member is None:
        return await render_page(request, "error.html", {"message": T["cfg_no_member"]}, 404)
    return await render_page(request, "config_member_edit.html", {
        "nav": "config", "sub": "members", "m": member, "linked": linked, "roles": ROLE_ORDER,
        "grids": grid_options(app.registry),
        "units": sorted(app.registry.units.values(), key=lambda u: u.id)})


@router.post("/members/{member_id}")
async def member_save(request: Request, member_id: int,
                      roles: Annotated[list[str] | None, Form()] = None,
                      grids: Annotated[list[str] | None, Form()] = None,
                      units: Annotated[list[str] | None, Form()] = None,
                      info: SessionInfo = ADMIN) -> Response:
    app = gb(request)
    back = f"/config/members/{member_id}"
    want_roles = {r.strip() for r in roles or [] if r.strip()}
    want_grids = {g.strip() for g in grids or [] if g.strip()}
    want_units = {u.strip() for u in units or [] if u.strip()}
    try:
        member = await directory.edit_member(app.uow(), app.registry, member_id, want_roles, want_grids,
                                             want_units, now(request), console_actor(info))
    except DomainError as exc:
        await flash(request, "error", T["err_prefix"] + str(exc))
        return redirect(back)
    await flash(request, "ok", T["cfg_member_saved"].format(name=member.name))
    return redirect("/config/members")


@router.get("/units/{unit_id}")
async def unit_edit(request: Request, unit_id: str, info: SessionInfo = ADMIN) -> Response:
    from admin.routes.cases import grid_options

    app = gb(request)
    async with app.uow() as uow:
        unit = await uow.units.get(unit_id)
    if unit is None:
        return await render_page(request, "error.html", {"message": T["cfg_no_unit"]}, 404)
    moves = await chat_moves.pending(app.uow(), unit_id)
    return await render_page(request, "config_unit_edit.html", {
        "nav": "config", "sub": "units", "u": unit, "grids": grid_options(app.registry),
        "cats": app.registry.taxonomy.categories, "catch_all": CATCH_ALL, "moves": moves})


@router.post("/units/{unit_id}/moves/{move_id}")
async def unit_move_decide(request: Request, unit_id: str, move_id: int,
                           decision: Annotated[str, Form()] = "", info: SessionInfo = ADMIN) -> Response:
    """Approve or reject a request to move the unit's work group (made by /bind in a group)."""
    app = gb(request)
    back = f"/config/units/{unit_id}"
    if decision not in ("approve", "reject"):
        await flash(request, "error", T["cfg_move_bad"])
        return redirect(back)
    try:
        move = await chat_moves.decide(app.uow(), move_id, decision == "approve", console_actor(info),
                                       now(request), unit_id)
    except chat_moves.MoveNotPending:
        await flash(request, "error", T["cfg_move_gone"])
        return redirect(back)
    except DomainError as exc:
        await flash(request, "error", T["err_prefix"] + str(exc))
        return redirect(back)
    await app.reload()
    done = T["cfg_move_approved"] if move.state == chat_moves.APPROVED else T["cfg_move_rejected"]
    await flash(request, "ok", done.format(chat=move.to_chat_id))
    return redirect(back)


@router.post("/units/{unit_id}")
async def unit_save(request: Request, unit_id: str, name: Annotated[str, Form()] = "",
                    chat_id: Annotated[str, Form()] = "", active: Annotated[str, Form()] = "",
                    categories: Annotated[list[str] | None, Form()] = None,
                    grids: Annotated[list[str] | None, Form()] = None,
                    info: SessionInfo = ADMIN) -> Response:
    app = gb(request)
    back = f"/config/units/{unit_id}"
    try:
        try:
            chat = int(chat_id) if chat_id.strip() else None
        except ValueError:
            raise ConfigError(T["cfg_chat_id"]) from None
        edited = await directory.edit_unit(
            app.uow(), app.registry, unit_id, name=name, chat_id=chat, active=active == "1",
            categories=[c.strip() for c in categories or [] if c.strip()],
            grids=[g.strip() for g in grids or [] if g.strip()], now=now(request), actor=console_actor(info))
    except DomainError as exc:
        await flash(request, "error", T["err_prefix"] + str(exc))
        return redirect(back)
    await app.reload()
    await flash(request, "ok", T["cfg_unit_saved"].format(name=edited.name))
    return redirect("/config/units")


@router.get("/invites")
async def invites(request: Request, info: SessionInfo = VIEWER) -> Response:
    app = gb(request)
    async with app.uow() as uow:
        rows = (await uow.session.scalars(
            select(GroupBindingRow).order_by(GroupBindingRow.created_at.desc()).limit(200))).all()
        used = {r.used_by for r in rows if r.used_by}
        names = dict((await uow.session.execute(
            select(MemberRow.tg_id, MemberRow.name).where(MemberRow.tg_id.in_(used)))).all()) if used else {}
    from admin.routes.cases import grid_options

    # Codes are secrets: whoever holds an unused one joins a unit or binds its group. Only
    # admins see them; the rows other roles get carry no code at all.
    show_codes = info.user.can("admin")
    invites = [{"code": r.code if show_codes else None, "purpose": r.purpose, "target": r.target,
                "created_at": r.created_at, "expires_at": r.expires_at, "used_by": r.used_by} for r in rows]
    return await render_page(request, "config_invites.html", {
        "nav": "config", "sub": "invites", "invites": invites, "names": names, "show_codes": show_codes,
        "grids": grid_options(app.registry), "bot_username": request.app.state.bot_username,
    })


@router.post("/invites")
async def create_invite(request: Request, purpose: Annotated[str, Form()] = "",
                        target_unit: Annotated[str, Form()] = "", target_grid: Annotated[str, Form()] = "",
                        info: SessionInfo = ADMIN) -> Response:
    app = gb(request)
    target = target_grid if purpose == "grid_worker" else target_unit
    try:
        code = await membership.create_invite(app.uow(), app.registry, purpose, target, now(request))
    except DomainError as exc:
        await flash(request, "error", T["err_prefix"] + str(exc))
    else:
        await flash(request, "ok", T["invite_ok"].format(code=code))
    return redirect("/config/invites")


@router.get("/categories")
async def categories(request: Request, info: SessionInfo = VIEWER) -> Response:
    app = gb(request)
    reg = app.registry
    sla = reg.sla
    units_by_cat: dict[str, list[str]] = {}
    for u in reg.units.values():
        for c in u.categories:
            units_by_cat.setdefault(c, []).append(u.name)
    overrides = [(reg.unit_name(u), reg.category_name(c), h) for (u, c), h in sla.unit_category_hours.items()]
    overrides += [(reg.unit_name(u), "*", h) for u, h in sla.unit_hours.items()]
    return await render_page(request, "config_categories.html", {
        "nav": "config", "sub": "categories", "cats": reg.taxonomy.categories,
        "hours": {c.id: sla.hours_for(c.id, None, 0) for c in reg.taxonomy.categories},
        "overrides": overrides, "factors": dict(sla.priority_factor), "units_by_cat": units_by_cat,
        "catch_all": sorted(u.name for u in reg.units.values() if u.is_catch_all),
    })


@router.get("/users")
async def users(request: Request, info: SessionInfo = ADMIN) -> Response:
    rows = await accounts.list_users(gb(request).uow())
    return await render_page(request, "config_users.html", {"nav": "config", "sub": "users", "rows": rows})


@router.post("/users")
async def create_user(request: Request, username: Annotated[str, Form()] = "",
                      display_name: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
                      role: Annotated[str, Form()] = "viewer", link_tg: Annotated[str, Form()] = "",
                      info: SessionInfo = ADMIN) -> Response:
    try:
        tg = int(link_tg) if link_tg.strip() else None
    except ValueError:
        tg = None
    try:
        user = await accounts.create_user(gb(request).uow(), username, password, role, now(request),
                                          display_name, tg)
    except AccountError as exc:
        await flash(request, "error", T["err_prefix"] + str(exc))
    else:
        await flash(request, "ok", T["user_created"].format(username=user.username))
    return redirect("/config/users")


@router.post("/users/{user_id}/active")
async def set_active(request: Request, user_id: int, active: Annotated[str, Form()] = "",
                     info: SessionInfo = ADMIN) -> Response:
    if user_id == info.user.id:
        await flash(request, "error", T["err_prefix"] + T["user_self"])
        return redirect("/config/users")
    try:
        await accounts.set_active(gb(request).uow(), user_id, active == "1")
    except AccountError as exc:
        await flash(request, "error", T["err_prefix"] + str(exc))
    else:
        await flash(request, "ok", T["user_updated"])
    return redirect("/config/users")
