"""`gridbot hotline import PATH`: 12345 work orders, one JSON line per data row on stdout,
a summary on stderr. Exit 0 unless the file itself cannot be read (or, with --strict, a row is
bad: then nothing is imported)."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from dispatch.service.hotline_file import HotlineFileError, ParsedRow, parse_orders, read_rows
from dispatch.settings import Settings
from gridbot.cli.jsonl import write_line


def load_columns(path: Path | None) -> dict[str, str]:
    """The --columns mapping: their header → ours (YAML or JSON, one mapping)."""
    if path is None:
        return {}
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise HotlineFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise HotlineFileError(f"{path}: not a YAML mapping: {exc}") from None
    if isinstance(doc, dict) and isinstance(doc.get("columns"), dict):
        doc = doc["columns"]
    pairs = doc.items() if isinstance(doc, dict) else []
    if not isinstance(doc, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in pairs):
        raise HotlineFileError(f"{path}: expected a mapping of their header → our header")
    from dispatch.service.hotline_file import COLUMNS

    unknown = sorted(v for v in doc.values() if v not in COLUMNS)
    if unknown:
        raise HotlineFileError(f"{path}: unknown target column(s) {', '.join(unknown)}; ours are "
                               + ", ".join(COLUMNS))
    return dict(doc)


def parse_file(path: Path, columns: Mapping[str, str], tz: ZoneInfo) -> list[ParsedRow]:
    return list(parse_orders(read_rows(path), columns, tz))


async def import_rows(
    settings: Settings, rows: list[ParsedRow], out: TextIO, model: Path | None
) -> Counter[str]:
    from dispatch.domain.errors import DomainError
    from dispatch.service.hotline import HotlineImporter, RowResult
    from gridbot.bootstrap import bootstrap
    from nlu.api import load_model

    counts: Counter[str] = Counter()
    app = await bootstrap(settings)
    try:
        classifier = load_model(model)
        classifier.add_places(app.registry.gazetteer.all_names())
        importer = HotlineImporter(app.service, app.uow, classifier)
        for parsed in rows:
            if parsed.order is None:
                result = RowResult(parsed.row, parsed.order_no, "error", error=parsed.error)
            else:
                try:
                    result = await importer.import_order(parsed.row, parsed.order)
                except DomainError as exc:
                    result = RowResult(parsed.row, parsed.order.order_no, "error", error=str(exc))
            counts[result.status] += 1
            write_line(result.as_json(), out)
            out.flush()
    finally:
        await app.close()
    return counts


def run_import(
    settings: Settings, path: Path, *, columns: Path | None = None, strict: bool = False,
    model: Path | None = None, out: TextIO | None = None, err: TextIO | None = None,
) -> int:
    import asyncio

    out, err = out or sys.stdout, err or sys.stderr
    try:
        rows = parse_file(path, load_columns(columns), settings.tz)
    except HotlineFileError as exc:
        print(f"gridbot: error: {path}: {exc}", file=err)
        return 1
    bad = [r for r in rows if r.order is None]
    if strict and bad:
        for r in bad:
            write_line({"row": r.row, "order_no": r.order_no, "status": "error", "case_number": None,
                        "category": None, "grid_id": None, "unit_id": None, "error": r.error}, out)
        print(f"gridbot: error: {path}: {len(bad)} bad row(s) of {len(rows)} (first: row {bad[0].row}: "
              f"{bad[0].error}); --strict: nothing imported", file=err)
        return 1
    counts = asyncio.run(import_rows(settings, rows, out, model))
    summary = ", ".join(f"{k} {counts[k]}" for k in ("created", "updated", "unchanged", "recorded", "error"))
    print(f"hotline import {path}: {len(rows)} rows: {summary}", file=err)
    return 1 if strict and counts["error"] else 0


def run_export(settings: Settings, since_text: str, *, out_path: Path | None = None,
               encoding: str | None = None, err: TextIO | None = None) -> int:
    """`gridbot hotline export --since …`: CSV (stdout or a file) or XLSX (`--out *.xlsx`)."""
    import asyncio
    import csv
    import io

    import texts
    from dispatch.service.hotline_file import parse_time

    err = err or sys.stderr
    try:
        since = parse_time(since_text, settings.tz)
    except ValueError:
        print(f"gridbot: error: --since {since_text!r} is not a date or time (e.g. 2026-11-01)", file=err)
        return 1
    if encoding is not None and encoding.lower().replace("_", "-") not in ("utf-8", "utf-8-sig", "gb18030"):
        print("gridbot: error: --encoding must be utf-8, utf-8-sig or gb18030", file=err)
        return 1

    async def gather() -> list[list[str]]:
        from dispatch.service.hotline_export import export_rows
        from gridbot.bootstrap import bootstrap

        app = await bootstrap(settings)
        try:
            return await export_rows(app.uow, app.registry, since, settings.tz)
        finally:
            await app.close()

    rows = asyncio.run(gather())
    header = list(texts.HOTLINE_EXPORT_COLUMNS)
    try:
        if out_path is not None and out_path.suffix.lower() == ".xlsx":
            from openpyxl import Workbook

            wb = Workbook()
            ws = wb.active
            assert ws is not None
            ws.title = "12345回复"
            for r in [header, *rows]:
                ws.append(r)
            wb.save(out_path)
        else:
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\r\n").writerows([header, *rows])
            data = buf.getvalue().encode(encoding or ("utf-8-sig" if out_path is not None else "utf-8"))
            if out_path is not None:
                out_path.write_bytes(data)
            else:
                sys.stdout.buffer.write(data)
                sys.stdout.flush()
    except OSError as exc:
        print(f"gridbot: error: cannot write {out_path}: {exc.strerror or exc}", file=err)
        return 1
    print(f"hotline export: {len(rows)} orders changed since {since.isoformat()}", file=err)
    return 0
