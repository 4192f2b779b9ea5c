"""CSV and XLSX: the filtered case list and the assessment tables.

The assessment columns and figures come from `dispatch.service.assessment_table` / `build_report`, the
same as `gridbot report`. Every text cell goes through `safe_cell` (spreadsheet formula
injection: a leading = + - @ TAB CR is prefixed with ')."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

import texts
from admin.queries import is_overdue
from dispatch.domain.assessment import Figures
from dispatch.service.assessment_report import Report
from dispatch.service.assessment_table import COLUMNS as ASSESS_COLUMNS
from dispatch.service.assessment_table import write_csv as assessment_csv_writer
from dispatch.service.cells import safe_cell, safe_row
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


def _header(ws: Any, labels: Iterable[str]) -> None:
    cells = []
    for label in labels:
        c = WriteOnlyCell(ws, value=safe_cell(label))
        c.font = Font(bold=True)
        cells.append(c)
    ws.append(cells)


def _save(wb: Workbook) -> bytes:
    with tempfile.TemporaryFile() as fh:
        wb.save(fh)
        fh.seek(0)
        return fh.read()


# -- assessment ---------------------------------------------------------------------------------
def assessment_csv(report: Report) -> bytes:
    """Exactly `gridbot report --csv`, with a BOM for Excel."""
    out = io.StringIO()
    assessment_csv_writer(report, out)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _figure_cells(ws: Any, f: Figures) -> list[Any]:
    row = f.as_row()
    cells: list[Any] = []
    for key, _ in ASSESS_COLUMNS:
        value = row[key]
        c = WriteOnlyCell(ws, value=safe_cell(value))
        if key.endswith("_rate") and value is not None:
            c.number_format = "0.0%"
        elif key in ("mean_handling_hours", "score") and value is not None:
            c.number_format = "0.0"
        cells.append(c)
    return cells


def assessment_xlsx(report: Report) -> bytes:
    wb = Workbook(write_only=True)
    labels = [label for _, label in ASSESS_COLUMNS]
    for title, rows in ((T["assess_sheet_total"], [report.total]), (T["assess_sheet_units"], report.units),
                        (T["assess_sheet_grids"], report.grids)):
        ws = wb.create_sheet(title)
        ws.freeze_panes = "B2"
        _header(ws, labels)
        for f in rows:
            ws.append(_figure_cells(ws, f))
    ws = wb.create_sheet(T["assess_sheet_ranking"])
    _header(ws, [T["assess_ranking_kind"], T["assess_ranking_place"], texts.ASSESS_COLUMNS["name"],
                 texts.ASSESS_COLUMNS["score"]])
    for kind, top, bottom in ((texts.ASSESS_UNIT_RANKING, report.unit_top, report.unit_bottom),
                              (texts.ASSESS_GRID_RANKING, report.grid_top, report.grid_bottom)):
        for place, group in ((T["top3"], top), (T["bottom3"], bottom)):
            for i, f in enumerate(group, 1):
                ws.append(safe_row([kind, f"{place} {i}", f.name, round(f.score or 0.0, 1)]))
    ws = wb.create_sheet(T["assess_sheet_workers"])
    _header(ws, [T["assess_col_worker"], T["assess_col_points"], T["assess_col_reports"],
                 T["assess_col_on_spot"], T["assess_col_verifications"], T["assess_col_duplicates"]])
    for w in report.workers:
        ws.append(safe_row([w.name, w.points, w.reports, w.on_spot, w.verifications, w.duplicates]))
    return _save(wb)
