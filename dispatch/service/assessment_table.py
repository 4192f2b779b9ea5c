"""`gridbot report`: the assessment tables for a month or a date range."""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import texts
from dispatch.domain.assessment import POINTS, Figures, WorkerPoints
from dispatch.service.assessment_report import Report
from dispatch.service.cells import safe_row
from dispatch.service.patrol_report import print_patrols

COLUMNS = [
    ("name", texts.ASSESS_COLUMNS["name"]),
    ("reported", texts.ASSESS_COLUMNS["reported"]),
    ("proactive_rate", texts.ASSESS_COLUMNS["proactive_rate"]),
    ("to_handle", texts.ASSESS_COLUMNS["to_handle"]),
    ("handled_rate", texts.ASSESS_COLUMNS["handled_rate"]),
    ("on_time_rate", texts.ASSESS_COLUMNS["on_time_rate"]),
    ("overdue_open_rate", texts.ASSESS_COLUMNS["overdue_open_rate"]),
    ("rework_rate", texts.ASSESS_COLUMNS["rework_rate"]),
    ("extension_rate", texts.ASSESS_COLUMNS["extension_rate"]),
    ("accurate_dispatch_rate", texts.ASSESS_COLUMNS["accurate_dispatch_rate"]),
    ("satisfaction_rate", texts.ASSESS_COLUMNS["satisfaction_rate"]),
    ("solve_rate", texts.ASSESS_COLUMNS["solve_rate"]),
    ("mean_handling_hours", texts.ASSESS_COLUMNS["mean_handling_hours"]),
    ("score", texts.ASSESS_COLUMNS["score"]),
]


def fmt(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key.endswith("_rate"):
        return f"{value * 100:.1f}%"
    if key in ("mean_handling_hours", "score"):
        return f"{value:.1f}"
    return str(value)


def _width(s: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def _pad(s: str, width: int) -> str:
    return s + " " * max(0, width - _width(s))


def print_table(title: str, rows: Sequence[Figures], out: TextIO) -> None:
    out.write(f"\n{title}\n")
    header = [label for _, label in COLUMNS]
    body = [[fmt(k, r.as_row()[k]) for k, _ in COLUMNS] for r in rows]
    widths = [
        max(_width(h), *(_width(b[i]) for b in body)) if body else _width(h) for i, h in enumerate(header)
    ]
    out.write("  ".join(_pad(h, w) for h, w in zip(header, widths, strict=True)).rstrip() + "\n")
    for b in body:
        out.write("  ".join(_pad(c, w) for c, w in zip(b, widths, strict=True)).rstrip() + "\n")
    if not body:
        out.write(texts.ASSESS_EMPTY + "\n")


def print_workers(rows: Sequence[WorkerPoints], out: TextIO, rules: dict[str, int] | None = None) -> None:
    out.write(f"\n{texts.ASSESS_WORKERS_TITLE}\n")
    rule = texts.ASSESS_POINTS_RULE.format(**(rules or POINTS))
    out.write(rule + "\n")
    for w in rows:
        line = texts.ASSESS_WORKER_LINE.format(
            points=w.points, reports=w.reports, on_spot=w.on_spot,
            verifications=w.verifications, duplicates=w.duplicates,
        )
        out.write(f"{_pad(w.name, 10)}  {line}\n")
    if not rows:
        out.write(texts.ASSESS_EMPTY + "\n")


def print_report(report: Report, out: TextIO = sys.stdout) -> None:
    out.write(texts.ASSESS_TITLE.format(period=report.period.label) + "\n")
    print_table(texts.ASSESS_TOTAL, [report.total], out)
    print_table(texts.ASSESS_UNITS, report.units, out)
    print_table(texts.ASSESS_GRIDS, report.grids, out)
    for title, top, bottom in (
        (texts.ASSESS_UNIT_RANKING, report.unit_top, report.unit_bottom),
        (texts.ASSESS_GRID_RANKING, report.grid_top, report.grid_bottom),
    ):
        out.write(f"\n{title}\n")
        out.write(
            texts.ASSESS_TOP + "  " + ("、".join(f"{f.name}({f.score:.1f})" for f in top) or "—") + "\n"
        )
        out.write(
            texts.ASSESS_BOTTOM + "  " + ("、".join(f"{f.name}({f.score:.1f})" for f in bottom) or "—") + "\n"
        )
    print_workers(report.workers, out, report.points_rule)
    print_patrols(report.patrols, out)


def write_csv(report: Report, out: TextIO = sys.stdout) -> None:
    """Every text cell guarded against formula injection (`safe_row`): names are typed by people."""
    w = csv.writer(out)
    w.writerow(safe_row(["table", "subject", *[k for k, _ in COLUMNS]]))
    for table, rows in (("total", [report.total]), ("unit", report.units), ("grid", report.grids)):
        for r in rows:
            row = r.as_row()
            cells = [("" if row[k] is None else row[k]) for k, _ in COLUMNS]
            w.writerow(safe_row([table, r.subject, *cells]))
    blanks = [""] * (len(COLUMNS) - 3)  # between 上报数 and 综合得分
    for wp in report.workers:
        w.writerow(safe_row(["grid_worker", wp.ref or wp.member_id, wp.name, wp.reports, *blanks, wp.points]))
