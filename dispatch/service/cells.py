"""Spreadsheet-safe cells for every export (CSV and XLSX, the console and `gridbot report`).

A text cell starting with = + - @ TAB or CR is run as a formula by spreadsheet programs
(CSV injection: `=HYPERLINK(...)` in a unit's name becomes a live link). Such text gets a
leading apostrophe, which spreadsheets show as plain text. Numbers, dates and empty cells
are left as they are; every text cell goes through here, whatever column it is in."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]
