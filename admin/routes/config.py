"""Configuration pages: grids on a map, units, members, invite codes, category time limits
(read-only), console accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import func, select

from admin import accounts, stats
from admin.accounts import AccountError, SessionInfo
from admin.models import AdminUserRow
from admin.web import ADMIN, VIEWER, flash, gb, now, redirect, render_page
from dispatch.adapters.orm import CaseRow, GroupBindingRow, MemberRow
from dispatch.domain.errors import DomainError
from dispatch.domain.status import OPEN
from dispatch.service import membership
from gridbot import texts

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
        rows = (await uow.session.scalars(select(MemberRow).order_by(MemberRow.id).limit(5000))).all()
        linked = dict((await uow.session.execute(
            select(AdminUserRow.member_id, AdminUserRow.username)
            .where(AdminUserRow.member_id.is_not(None)))).all())
    return await render_page(request, "config_members.html", {
        "nav": "config", "sub": "members", "members": rows, "linked": linked})


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

    return await render_page(request, "config_invites.html", {
        "nav": "config", "sub": "invites", "invites": rows, "names": names,
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
