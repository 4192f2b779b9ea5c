"""12345 hotline orders in the console: the latest orders with their case's status, and the
非现场检查 of the current month (orders grid workers had not found first, per grid)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from admin.accounts import SessionInfo
from admin.web import VIEWER, gb, render_page
from dispatch.domain.offsite import OffsiteRule
from dispatch.service.assessment_report import Period
from dispatch.service.hotline_check import offsite_check
from dispatch.service.hotline_export import recent_orders

router = APIRouter()
LIMIT = 200


@router.get("/hotline")
async def hotline(request: Request, info: SessionInfo = VIEWER) -> Response:
    app = gb(request)
    tz = app.settings.tz
    month = request.query_params.get("month") or f"{app.clock.now().astimezone(tz):%Y-%m}"
    try:
        period = Period.month(month, app.settings.timezone)
    except ValueError:
        period = Period.month(f"{app.clock.now().astimezone(tz):%Y-%m}", app.settings.timezone)
    orders = await recent_orders(app.uow, app.registry, LIMIT)
    check = await offsite_check(app.uow, app.registry, period.start, period.end,
                                OffsiteRule(timedelta(hours=72), 300.0), tz)
    found = {o["order_no"]: o["found_first"] for o in check["orders"]}
    return await render_page(request, "hotline.html", {
        "orders": orders, "found": found, "check": check, "period": period.label, "limit": LIMIT,
        "nav": "hotline",
    })
