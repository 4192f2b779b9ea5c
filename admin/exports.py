"""CSV and XLSX: the filtered case list and the assessment tables.

The assessment columns and figures come from `dispatch.service.assessment_table` / `build_report`, the
same as `gridbot report`. Every text cell goes through `safe_cell` (spreadsheet formula
injection: a leading = + - @ TAB CR is prefixed with ')."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook

import texts
from admin.queries import is_overdue
from dispatch.service.assessment_report import Report
from dispatch.service.assessment_table import write_csv as assessment_csv_writer
from dispatch.service.assessment_xlsx import assessment_xlsx as assessment_xlsx
from dispatch.service.assessment_xlsx import header_row as _header
from dispatch.service.assessment_xlsx import save_workbook as _save
from dispatch.service.cells import safe_row
from dispatch.service.registry import Registry

T = texts.ADMIN


def case_header() -> list[str]:
    return [T["col_number"], T["col_created"], T["col_category"], T["col_status"], T["col_grid"],
            T["x_grid_path"], T["col_unit"], T["col_address"], T["col_description"], T["x_emergency"],
            T["col_due"], T["x_overdue"], T["x_dispatched"], T["x_resolved"], T["x_closed"],
            T["x_rework"], T["x_extension"], T["x_returned"], T["x_rating"], T["x_reporter_role"],
            T["x_channel"], T["x_lat"], T["x_lon"]]


def case_values(r: Any, registry: Registry, now: datetime, tz: str) -> list[Any]:
    zone = ZoneInfo(tz)
    tree = registry.tree

    def when(v: datetime | None) -> str:
        return v.astimezone(zone).strftime("%Y-%m-%d %H:%M") if v else ""

    grid = tree.name(r.grid_id) if r.grid_id in tree else ""
    path = tree.path_names(r.grid_id) if r.grid_id in tree else ""
    return safe_row([
        r.number, when(r.created_at), registry.category_name(r.category),
        texts.STATUS_ZH.get(r.status, r.status), grid, path,
        registry.unit_name(r.unit_id) if r.unit_id else "", r.address or "",
        r.description or "", T["yes"] if r.emergency else "", when(r.due_at),
        T["yes"] if is_overdue(r.status, r.due_at, now) else "", when(r.dispatched_at),
        when(r.resolved_at), when(r.closed_at), r.rework_count, r.extension_count, r.return_count,
        texts.RATING_ZH.get(r.rating or "", r.rating or ""),
        texts.ROLE_ZH.get(r.reporter_role, r.reporter_role),
        texts.ADMIN_CHANNEL_ZH.get(r.channel, r.channel), r.lat if r.lat is not None else "",
        r.lon if r.lon is not None else "",
    ])


async def cases_csv(rows: AsyncIterator[Any], registry: Registry, now: datetime, tz: str
                    ) -> AsyncIterator[bytes]:
    """UTF-8 with a BOM (Excel opens it as UTF-8), streamed in chunks."""
    buf = io.StringIO()
    w = csv.writer(buf)
    buf.write("\ufeff")
    w.writerow(safe_row(case_header()))
    n = 0
    async for r in rows:
        w.writerow(case_values(r, registry, now, tz))
        n += 1
        if n % 500 == 0:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode("utf-8")


async def cases_xlsx(rows: AsyncIterator[Any], registry: Registry, now: datetime, tz: str) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(T["x_sheet_cases"])
    ws.freeze_panes = "A2"
    _header(ws, case_header())
    async for r in rows:
        ws.append(case_values(r, registry, now, tz))
    return _save(wb)


# -- assessment ---------------------------------------------------------------------------------
def assessment_csv(report: Report) -> bytes:
    """Exactly `gridbot report --csv`, with a BOM for Excel."""
    out = io.StringIO()
    assessment_csv_writer(report, out)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
