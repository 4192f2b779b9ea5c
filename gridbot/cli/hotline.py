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
