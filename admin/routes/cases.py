"""Cases: the filtered list, exports of it, one case (timeline, transcript, actions), triage."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response, StreamingResponse

import texts
from admin import exports, queries
from admin import triage as triage_queue
from admin.accounts import SessionInfo
from admin.case_map import case_map
from admin.commands import ConsoleCommands, Outcome
from admin.routes.deliveries import failed_deliveries
from admin.transcript_view import conversations
from admin.web import DISPATCHER, VIEWER, flash, gb, now, redirect, render_page
from dispatch.domain.routing import candidates
from dispatch.domain.status import WITH_UNIT, CaseStatus, can_transition
from dispatch.service.intake import is_intake_member

router = APIRouter()

def _can(status: str, target: CaseStatus) -> bool:
    """Whether the one transition table lets a case in `status` move to `target`."""
    return status in CaseStatus._value2member_map_ and can_transition(CaseStatus(status), target)


def _cursor(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def grid_options(registry: Any) -> list[tuple[str, str, int]]:
    """(id, name, level) in tree order, for the grid select."""
    tree = registry.tree
    roots = [g for g in tree.by_id.values() if g.parent_id is None or g.parent_id not in tree]
    out: list[tuple[str, str, int]] = []

    def walk(gid: str) -> None:
        g = tree.get(gid)
        out.append((g.id, g.name, g.level))
        for child in sorted(tree.children.get(gid, ()), key=lambda c: tree.get(c).name):
            walk(child)

    for r in sorted(roots, key=lambda g: g.id):
        walk(r.id)
    return out


@router.get("/cases")
async def case_list(request: Request, info: SessionInfo = VIEWER) -> Response:
    app = gb(request)
    f = queries.CaseFilter.from_params(request.query_params, app.registry)
    page = await queries.search(app.uow(), app.registry, f, now(request), app.settings.timezone,
                                after=_cursor(request.query_params.get("after")),
                                before=_cursor(request.query_params.get("before")))
    return await render_page(request, "cases.html", {
        "f": f, "page": page, "params": f.params(), "grids": grid_options(app.registry),
        "is_overdue": queries.is_overdue, "nav": "cases",
    })


@router.get("/cases/export.csv")
async def export_csv(request: Request, info: SessionInfo = VIEWER) -> Response:
    app = gb(request)
    f = queries.CaseFilter.from_params(request.query_params, app.registry)
    t = now(request)
    rows = queries.iter_filtered(app.uow(), app.registry, f, t, app.settings.timezone)
    name = f"cases-{t.astimezone(app.settings.tz):%Y%m%d-%H%M}.csv"
    return StreamingResponse(exports.cases_csv(rows, app.registry, t, app.settings.timezone),
                             media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/cases/export.xlsx")
async def export_xlsx(request: Request, info: SessionInfo = VIEWER) -> Response:
    app = gb(request)
    f = queries.CaseFilter.from_params(request.query_params, app.registry)
    t = now(request)
    rows = queries.iter_filtered(app.uow(), app.registry, f, t, app.settings.timezone, cap=100_000)
    data = await exports.cases_xlsx(rows, app.registry, t, app.settings.timezone)
    name = f"cases-{t.astimezone(app.settings.tz):%Y%m%d-%H%M}.xlsx"
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/cases/n/{number}")
async def case_by_number(request: Request, number: str, info: SessionInfo = VIEWER) -> Response:
    case_id = await queries.case_id_by_number(gb(request).uow(), number)
    if case_id is None:
        raise HTTPException(404)
    return redirect(f"/cases/{case_id}")


@router.get("/cases/{case_id}")
async def case_page(request: Request, case_id: int, info: SessionInfo = VIEWER) -> Response:
    app = gb(request)
    detail = await queries.case_detail(app.uow(), case_id)
    if detail is None:
        raise HTTPException(404)
    status = detail.case.status.value
    failed = await failed_deliveries(app.uow(), app.registry, case_id=case_id)
    return await render_page(request, "case.html", {
        "d": detail, "c": detail.case, "nav": "cases", "failed": failed,
        "conversations": await conversations(app.uow(), app.registry, detail.case, detail.messages),
        "overdue": detail.case.is_overdue(now(request)),
        "can_reassign": _can(status, CaseStatus.DISPATCHED),
        "can_extend": status in {s.value for s in WITH_UNIT},  # 延期 while a unit holds it
        "can_close": _can(status, CaseStatus.CLOSED), "can_cancel": _can(status, CaseStatus.CANCELLED),
        "can_merge": _can(status, CaseStatus.DUPLICATE), "case_map": case_map(app.registry, detail.case),
        "can_unlink": status == CaseStatus.DUPLICATE.value and detail.case.duplicate_of is not None,
        "back": _list_referer(request), **_caller(detail), **await _routing(app, detail.case),
    })


async def _routing(app: Any, case: Any) -> dict[str, Any]:
    """For the 派遣 form: the rule's candidate units and the unit that returned the case, if it
    still waits in triage."""
    returned = None
    if case.status.value in triage_queue.WAITING:
        async with app.uow() as uow:
            returned = (await triage_queue.last_returns(uow, [case.id])).get(case.id)
    return {"returned": returned, "unit_choices": triage_queue.unit_choices,
            "candidates": candidates(app.registry.table, app.registry.tree, case.grid_id, case.category)}


def _caller(detail: queries.CaseDetail) -> dict[str, Any]:
    """A console intake's caller: named (with their phone) to dispatchers and admins only."""
    if not is_intake_member(detail.reporter):
        return {"caller": False}
    reported = next((e for e in detail.events if e.action == "reported"), None)
    entered_by = (reported.data or {}).get("entered_by") if reported is not None else None
    source = texts.ADMIN_INTAKE_SOURCE_ZH.get(detail.case.channel, texts.ADMIN_INTAKE_SOURCE_ZH["admin"])
    return {"caller": True, "entered_by": entered_by,
            "caller_label": texts.ADMIN["intake_caller_unnamed"].format(source=source)}


def _list_referer(request: Request) -> str:
    """Back to the filtered list the user came from (same site only)."""
    ref = urlsplit(request.headers.get("referer", ""))
    if ref.netloc == request.url.netloc and ref.path == "/cases" and ref.query:
        return f"/cases?{ref.query}"
    return ""


async def _done(request: Request, case_id: int, outcome: Outcome, back: str = "") -> Response:
    await flash(request, "ok" if outcome.ok else "error", outcome.message)
    if back == "triage":
        return redirect("/triage")
    return redirect(f"/cases/{case_id}")


@router.post("/cases/{case_id}/reassign")
async def reassign(request: Request, case_id: int, unit_id: Annotated[str, Form()] = "",
                   note: Annotated[str, Form()] = "", category: Annotated[str, Form()] = "",
                   back: Annotated[str, Form()] = "", confirm_return: Annotated[str, Form()] = "",
                   info: SessionInfo = DISPATCHER) -> Response:
    app = gb(request)
    returned = await triage_queue.returned_to(app.uow(), case_id, unit_id)
    if returned is not None and confirm_return != "1":  # back to the unit that just returned it
        number = await queries.case_number(app.uow(), case_id)
        message = texts.ADMIN["triage_return_warning"].format(
            number=number, unit=app.registry.unit_name(unit_id), reason=returned.reason)
        return await _done(request, case_id, Outcome(False, message), back)
    outcome = await ConsoleCommands(app, info.user).reassign(case_id, unit_id, note, category or None)
    return await _done(request, case_id, outcome, back)


@router.post("/cases/{case_id}/recategorise")
async def recategorise(request: Request, case_id: int, category: Annotated[str, Form()] = "",
                       note: Annotated[str, Form()] = "", info: SessionInfo = DISPATCHER) -> Response:
    outcome = await ConsoleCommands(gb(request), info.user).recategorise(case_id, category, note)
    return await _done(request, case_id, outcome)


@router.post("/cases/{case_id}/extend")
async def extend(request: Request, case_id: int, hours: Annotated[str, Form()] = "",
                 reason: Annotated[str, Form()] = "", info: SessionInfo = DISPATCHER) -> Response:
    outcome = await ConsoleCommands(gb(request), info.user).extend(case_id, hours, reason)
    return await _done(request, case_id, outcome)


@router.post("/cases/{case_id}/close")
async def close(request: Request, case_id: int, reason: Annotated[str, Form()] = "",
                info: SessionInfo = DISPATCHER) -> Response:
    outcome = await ConsoleCommands(gb(request), info.user).close(case_id, reason)
    return await _done(request, case_id, outcome)


@router.post("/cases/{case_id}/merge")
async def merge(request: Request, case_id: int, into: Annotated[str, Form()] = "",
                note: Annotated[str, Form()] = "", info: SessionInfo = DISPATCHER) -> Response:
    outcome = await ConsoleCommands(gb(request), info.user).merge(case_id, into, note)
    return await _done(request, case_id, outcome)


@router.post("/cases/{case_id}/unlink")
async def unlink(request: Request, case_id: int, info: SessionInfo = DISPATCHER) -> Response:
    outcome = await ConsoleCommands(gb(request), info.user).unlink(case_id)
    return await _done(request, case_id, outcome)


@router.post("/cases/{case_id}/cancel")
async def cancel(request: Request, case_id: int, reason: Annotated[str, Form()] = "",
                 info: SessionInfo = DISPATCHER) -> Response:
    outcome = await ConsoleCommands(gb(request), info.user).cancel(case_id, reason)
    return await _done(request, case_id, outcome)


@router.get("/triage")
async def triage(request: Request, info: SessionInfo = VIEWER) -> Response:
    app = gb(request)
    items, total = await triage_queue.triage_queue(app.uow(), app.registry)
    return await render_page(request, "triage.html", {
        "items": items, "total": total, "nav": "triage", "unit_choices": triage_queue.unit_choices})

