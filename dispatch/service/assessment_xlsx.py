"""The assessment as an XLSX workbook: 汇总, 单位, 网格, 排名 and 积分 sheets, the figures of
`build_report` as `gridbot report` gives them. Used by the console's download and by the
通报 sent to the leaders' group. Every text cell goes through `safe_cell`."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

import texts
from dispatch.domain.assessment import Figures
from dispatch.service.assessment_report import Report
from dispatch.service.assessment_table import COLUMNS as ASSESS_COLUMNS
from dispatch.service.cells import safe_cell, safe_row

T = texts.ADMIN


def header_row(ws: Any, labels: Iterable[str]) -> None:
    cells = []
    for label in labels:
        c = WriteOnlyCell(ws, value=safe_cell(label))
        c.font = Font(bold=True)
        cells.append(c)
    ws.append(cells)


def save_workbook(wb: Workbook) -> bytes:
    with tempfile.TemporaryFile() as fh:
        wb.save(fh)
        fh.seek(0)
        return fh.read()


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
        header_row(ws, labels)
        for f in rows:
            ws.append(_figure_cells(ws, f))
    ws = wb.create_sheet(T["assess_sheet_ranking"])
    header_row(ws, [T["assess_ranking_kind"], T["assess_ranking_place"], texts.ASSESS_COLUMNS["name"],
                 texts.ASSESS_COLUMNS["score"]])
    for kind, top, bottom in ((texts.ASSESS_UNIT_RANKING, report.unit_top, report.unit_bottom),
                              (texts.ASSESS_GRID_RANKING, report.grid_top, report.grid_bottom)):
        for place, group in ((T["top3"], top), (T["bottom3"], bottom)):
            for i, f in enumerate(group, 1):
                ws.append(safe_row([kind, f"{place} {i}", f.name, round(f.score or 0.0, 1)]))
    ws = wb.create_sheet(T["assess_sheet_workers"])
    header_row(ws, [T["assess_col_worker"], T["assess_col_points"], T["assess_col_reports"],
                 T["assess_col_on_spot"], T["assess_col_verifications"], T["assess_col_duplicates"]])
    for w in report.workers:
        ws.append(safe_row([w.name, w.points, w.reports, w.on_spot, w.verifications, w.duplicates]))
    return save_workbook(wb)
