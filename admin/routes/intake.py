"""新建案件: the grid centre enters a case for a caller, a walk-in or a 110 referral. The form
(dispatchers and admins), the NLU's category suggestion as JSON, and the submit, which goes
through the same case command as every other channel (`dispatch.service.intake`)."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile

import texts
from admin import queries
from admin.accounts import SessionInfo
from admin.uploads import MAX_PHOTO_BYTES, MAX_PHOTOS, PhotoRejected, UploadStore
from admin.web import DISPATCHER, flash, gb, redirect, render_page
from dispatch.domain.errors import DomainError
from dispatch.domain.status import CaseStatus
from dispatch.service.cases import MAX_DESCRIPTION
from dispatch.service.intake import SOURCES, Intake, IntakeInvalid, IntakeService

router = APIRouter()
FIELDS = ("text", "source", "category", "caller_name", "caller_phone", "address", "lat", "lon")
MAX_SUGGEST_TEXT = MAX_DESCRIPTION


def suggest(request: Request, text: str) -> dict[str, Any]:
    """The NLU's category for `text`: {available, category, name, confidence, emergency}."""
    classifier = request.app.state.classifier
    text = text.strip()[:MAX_SUGGEST_TEXT]
    if classifier is None:
        return {"available": False, "message": texts.ADMIN["intake_no_model"]}
    if not text:
        return {"available": True, "category": None, "emergency": False}
    pred = classifier.predict(text)
    registry = gb(request).registry
    ranking = list(getattr(pred, "ranking", None) or [])
    category, confidence = pred.category, pred.confidence
    if not category and ranking:
        category, confidence = ranking[0][0], ranking[0][1]
    if category and not registry.taxonomy.has_category(category):
        category = None
    out: dict[str, Any] = {"available": True, "category": category, "emergency": bool(pred.emergency)}
    if category:
        out.update(name=registry.category_name(category), confidence=round(float(confidence or 0), 3),
                   message=texts.ADMIN["intake_suggested"].format(
                       category=registry.category_name(category), confidence=f"{float(confidence or 0):.0%}"))
    else:
        out["message"] = texts.ADMIN["intake_suggested_none"]
    return out


async def _page(request: Request, values: dict[str, str], error: str = "", error_field: str = "",
                hint: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    return await render_page(request, "intake.html", {
        "v": values, "error": error, "error_field": error_field, "hint": hint or {},
        "sources": [(s, texts.ADMIN_INTAKE_SOURCE_ZH[s]) for s in SOURCES],
        "has_model": request.app.state.classifier is not None, "nav": "intake",
        "max_photos": MAX_PHOTOS, "max_mb": MAX_PHOTO_BYTES // (1024 * 1024),
        "max_text": MAX_DESCRIPTION,
    }, status_code=status_code)


@router.get("/intake")
async def intake_form(request: Request, info: SessionInfo = DISPATCHER) -> Response:
    return await _page(request, {"source": SOURCES[0]})


@router.get("/intake/suggest")
async def intake_suggest(request: Request, text: str = "", info: SessionInfo = DISPATCHER) -> Response:
    return JSONResponse(suggest(request, text))


def _point(value: str) -> float | None:
    value = value.strip()
    if not value:
        return None
    number = float(value)  # ValueError: reported as a bad point
    if not math.isfinite(number):
        raise ValueError(value)
    return number


@router.post("/intake")
async def intake_submit(request: Request, info: SessionInfo = DISPATCHER) -> Response:
    T = texts.ADMIN
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in FIELDS}
    values["emergency"] = "1" if form.get("emergency") else ""
    values["predicted"] = str(form.get("predicted") or "")
    if form.get("action") == "suggest":  # the no-script 建议分类 button: show the suggestion
        hint = suggest(request, values["text"])
        if hint.get("category"):
            values["category"], values["predicted"] = hint["category"], hint["category"]
        if hint.get("emergency"):
            values["emergency"] = "1"
        return await _page(request, values, hint=hint)

    def refused(field: str, message: str) -> Any:
        return _page(request, values, T["intake_err_form"] + message, field, status_code=400)

    if not values["category"] and request.app.state.classifier is not None and values["text"].strip():
        values["category"] = suggest(request, values["text"]).get("category") or ""
    try:
        lat, lon = _point(values["lat"]), _point(values["lon"])
    except ValueError:
        return await refused("lat", T["intake_err_point"])
    uploads = [f for f in form.getlist("photos") if isinstance(f, UploadFile) and (f.filename or f.size)]
    if len(uploads) > MAX_PHOTOS:
        return await refused("photos", T["intake_err_photo_count"].format(n=MAX_PHOTOS))
    store: UploadStore = request.app.state.uploads
    blobs = [await f.read(MAX_PHOTO_BYTES + 1) for f in uploads]
    intake = Intake(
        text=values["text"], source=values["source"], category=values["category"],
        emergency=bool(values["emergency"]), lat=lat, lon=lon, address=values["address"],
        caller_name=values["caller_name"], caller_phone=values["caller_phone"],
        predicted_category=values["predicted"] or None,
    )
    service = IntakeService(gb(request).service, gb(request).uow)
    try:
        service.check(intake)
        for blob in blobs:
            store.check(blob)
    except IntakeInvalid as exc:
        return await refused(exc.field, T[exc.key])
    except PhotoRejected as exc:
        return await refused("photos", T[str(exc)].format(mb=MAX_PHOTO_BYTES // (1024 * 1024)))
    intake.photos = [store.save(blob) for blob in blobs]
    actor = info.user.actor(intake.source)
    if actor is None:
        return await refused("", T["err_no_member"])
    label = T["intake_caller_unnamed"].format(source=texts.ADMIN_INTAKE_SOURCE_ZH[intake.source])
    try:
        case = await service.submit(intake, actor, label if intake.source != "admin" else T["intake_caller"])
    except DomainError as exc:
        return await refused("", str(exc))
    await flash(request, "ok", T["intake_ok"].format(number=case.number, where=await _where(request, case)))
    return redirect(f"/cases/{case.id}")


async def _where(request: Request, case: Any) -> str:
    """Where the new case stands, in one phrase: its unit, or why it waits for a dispatcher."""
    T = texts.ADMIN
    if case.status is CaseStatus.DISPATCHED:
        return T["intake_ok_dispatched"].format(unit=gb(request).registry.unit_name(case.unit_id))
    if case.status is CaseStatus.TRIAGE:
        detail = await queries.case_detail(gb(request).uow(), case.id)
        notes = [e.note for e in (detail.events if detail else []) if e.new_status == "triage" and e.note]
        return T["intake_ok_triage"].format(reason=notes[-1] if notes else texts.STATUS_ZH["triage"])
    return T["intake_ok_other"].format(status=texts.STATUS_ZH.get(case.status.value, case.status.value))
