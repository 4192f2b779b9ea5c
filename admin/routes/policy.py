"""The closed-loop policy page (admins edit time limits, overrides, reminders, escalation,
核查 and rating, duplicates, assessment, patrols, personal-data retention) and the
configuration audit log."""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

import texts
from admin import audit_view, policy_form
from admin.accounts import SessionInfo
from admin.policy_form import PolicyForm
from admin.routes.config import console_actor
from admin.web import ADMIN, flash, gb, now, redirect, render_page
from dispatch.domain.policy import PATROL_FIELDS, PRIORITIES, PolicyError, policy_to_doc
from dispatch.service import config_log, policy_store
from dispatch.service.app import App
from dispatch.service.policy_store import PolicyConflict

router = APIRouter(prefix="/config")
T = texts.ADMIN
AUDIT_PAGE = 50


async def _config_version(app: App) -> int | None:
    """The configuration version of the policy's last change: the number the audit log shows."""
    async with app.uow() as uow:
        return await config_log.last_version(uow.session, policy_store.POLICY, policy_store.POLICY)


async def _context(
    app: App, form: PolicyForm, error: str | None = None, field_errors: dict[str, str] | None = None
) -> dict[str, Any]:
    taxonomy = app.registry.taxonomy
    blank = [("", policy_form.ALL, "")] * policy_form.BLANK_ROWS
    return {
        "nav": "config",
        "sub": "policy",
        "form": form,
        "config_version": await _config_version(app),
        "error": error,
        "field_errors": field_errors or {},
        "cats": taxonomy.categories,
        "rows": [*form.overrides, *blank],
        "units": sorted(app.registry.units.values(), key=lambda u: u.id),
        "all": policy_form.ALL,
        "priorities": list(PRIORITIES.items()),
        "PATROL_FIELDS": PATROL_FIELDS,
        "POLICY_FIELD_ZH": texts.POLICY_FIELD_ZH,
        "levels": (3, 2, 1),
    }


@router.get("/policy")
async def policy_page(request: Request, info: SessionInfo = ADMIN) -> Response:
    app = gb(request)
    async with app.uow() as uow:
        stored = await policy_store.read_policy(uow.session)
    form = policy_form.from_policy(stored.policy, app.registry.taxonomy, stored.version)
    return await render_page(request, "config_policy.html", await _context(app, form))


@router.post("/policy")
async def policy_save(request: Request, info: SessionInfo = ADMIN) -> Response:
    app = gb(request)
    form = policy_form.from_post(await request.form(), app.registry.taxonomy)
    try:
        doc = policy_form.to_doc(form, app.registry.taxonomy)
        configured = policy_to_doc(app.registry.policy)
        doc["nlu"] = configured["nlu"]  # not on the form: kept as configured
        stored = await policy_store.save_policy_doc(
            app.uow(), doc, console_actor(info), now(request), expected_version=form.version
        )
    except PolicyError as exc:
        error = T["pol_error"].format(message=policy_form.error_zh(exc, app.registry))
        at = policy_form.error_input(exc)
        beside = {at: T["pol_field_error"].format(message=policy_form.problem_zh(exc))} if at else {}
        return await render_page(request, "config_policy.html", await _context(app, form, error, beside), 400)
    except PolicyConflict:
        context = await _context(app, form, T["pol_conflict"])
        return await render_page(request, "config_policy.html", context, 409)
    await app.reload()
    await flash(request, "ok", T["pol_saved"].format(version=stored.config_version))
    return redirect("/config/policy")


def _pretty(doc: Any) -> str:
    return "" if doc is None else json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True)


@router.get("/audit")
async def audit_page(request: Request, page: int = 1, info: SessionInfo = ADMIN) -> Response:
    app = gb(request)
    page = max(1, min(page, 10**6))
    async with app.uow() as uow:
        rows, total = await config_log.entries(uow.session, (page - 1) * AUDIT_PAGE, AUDIT_PAGE)
    said = await audit_view.entries(app.uow(), app.registry, rows)
    entries = [(e, _pretty(e.row.before), _pretty(e.row.after)) for e in said]
    return await render_page(
        request,
        "config_audit.html",
        {
            "nav": "config",
            "sub": "audit",
            "entries": entries,
            "page": page,
            "total": total,
            "pages": max(1, math.ceil(total / AUDIT_PAGE)),
        },
    )
