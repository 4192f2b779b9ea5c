"""Every text cell of every export is guarded against formula injection, whatever column it
is in: a unit renamed to `=HYPERLINK(...)` is plain text in the case list and assessment
exports (CSV and XLSX) and in `gridbot report --csv`."""

from __future__ import annotations

import csv
import dataclasses
import io
from typing import Any

import openpyxl

from dispatch.service.assessment_report import Period, build_report
from dispatch.service.assessment_table import write_csv
from dispatch.service.cells import safe_cell
from tests.admin.conftest import logged_in

EVIL_UNIT = '=HYPERLINK("http://evil.example","城关执法中队")'
EVIL_GRID = "-2+3+cmd|' /C calc'!A0"


async def _rename(app: Any, clock: Any) -> None:
    async with app.uow() as uow:
        unit = await uow.units.get("zf-chengguan")
        await uow.units.upsert_many([dataclasses.replace(unit, name=EVIL_UNIT)], clock.now())
        await uow.commit()
    await app.reload()
    app.registry.tree.get("G-01-01-01-04").name = EVIL_GRID


def _csv_cells(body: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]


def _xlsx_cells(body: bytes) -> list[Any]:
    wb = openpyxl.load_workbook(io.BytesIO(body))
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"live formula in {ws.title}!{cell.coordinate}: {cell.value}"
                out.append(cell.value)
    return out


def _check(cells: list[Any], *names: str) -> None:
    texts = [c for c in cells if isinstance(c, str)]
    for name in names:
        assert "'" + name in texts, f"{name!r} missing or unguarded"
    bad = [c for c in texts if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert not bad, bad


async def test_every_export_guards_every_text_cell(admin_app: Any, app: Any, users: Any, cases: Any,
                                                   clock: Any) -> None:
    await _rename(app, clock)
    c = await logged_in(admin_app, "viewer")
    r = await c.get("/cases/export.csv")
    _check(_csv_cells(r.content), EVIL_UNIT, EVIL_GRID)
    r = await c.get("/cases/export.xlsx")
    _check(_xlsx_cells(r.content), EVIL_UNIT, EVIL_GRID)
    for level in (2, 4):
        r = await c.get(f"/assessment/export.csv?month=2026-11&level={level}")
        _check(_csv_cells(r.content), EVIL_UNIT)
        r = await c.get(f"/assessment/export.xlsx?month=2026-11&level={level}")
        _check(_xlsx_cells(r.content), EVIL_UNIT)
    await c.aclose()
    out = io.StringIO()  # what `gridbot report --csv` prints
    write_csv(await build_report(app.uow(), app.registry, Period.month("2026-11"), 4), out)
    _check(_csv_cells(out.getvalue().encode()), EVIL_UNIT)


def test_the_guard() -> None:
    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(value) == "'" + value
    for value in ("城关", "1=1", "", 3, -2.5, None):
        assert safe_cell(value) == value
