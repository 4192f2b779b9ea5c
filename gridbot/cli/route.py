"""`gridbot route`: JSON Lines in, one routing decision per line out."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from dispatch.settings import Settings
from gridbot.cli.jsonl import StrictStop, Tally, read_objects, report_bad, write_line


def _sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (sqlite:///…, sqlite+aiosqlite:///…), else None."""
    if not url.startswith("sqlite") or ":///" not in url:
        return None
    path = url.split(":///", 1)[1].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def _fast_registry(settings: Settings) -> Any | None:
    """Read grids and units with the standard library's sqlite3: start-up stays fast
    because SQLAlchemy and its async driver are never imported on this path."""
    from dispatch.db.reference import read_sqlite
    from dispatch.service.registry import Registry

    path = _sqlite_path(settings.effective_database_url)
    data = read_sqlite(path) if path is not None else None
    if data is None:
        return None
    return Registry.build(*data)


async def _load_registry(settings: Settings) -> Any:
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from dispatch.db.db import make_engine, session_factory, upgrade_async
    from dispatch.db.uow import UnitOfWork
    from dispatch.service.registry import load_registry

    settings.ensure_data_dir()
    url = settings.effective_database_url
    engine = make_engine(url)
    try:
        try:
            return await load_registry(UnitOfWork(session_factory(engine)))
        except (OperationalError, ProgrammingError):
            # A fresh database: create the schema, then there is simply nothing to route to.
            await upgrade_async(url)
            return await load_registry(UnitOfWork(session_factory(engine)))
    finally:
        await engine.dispose()


def _point(obj: dict[str, Any]) -> tuple[float | None, float | None]:
    from dispatch.service.locate import valid_point

    lat, lon = obj.get("lat"), obj.get("lon")
    if lat is None and lon is None:
        return None, None
    if lat is None or lon is None:
        raise ValueError("lat and lon must be given together")
    try:  # numbers, or numeric strings as some exporters write them
        flat = float(lat) if isinstance(lat, str) else lat
        flon = float(lon) if isinstance(lon, str) else lon
    except ValueError:
        raise ValueError(f"invalid lat/lon {lat!r}, {lon!r}") from None
    if not valid_point(flat, flon):
        raise ValueError(f"invalid lat/lon {lat!r}, {lon!r}")
    return float(flat), float(flon)  # type: ignore[arg-type]


def run_route(settings: Settings, *, strict: bool = False, model: Path | None = None) -> int:
    from dispatch.service.route_service import route_report

    try:
        registry = _fast_registry(settings) or asyncio.run(_load_registry(settings))
    except Exception as exc:  # unreachable database, bad URL …
        print(f"gridbot: error: cannot load grids and units: {exc}", file=sys.stderr)
        return 1
    from nlu.api import load_model

    classifier = load_model(model)
    classifier.add_places(registry.gazetteer.all_names())
    tally = Tally()
    out = sys.stdout
    try:
        for line in read_objects(sys.stdin.buffer, strict=strict, tally=tally):
            obj = line.obj
            text = obj.get("text", "")
            category = obj.get("category")
            problem = None
            if not isinstance(text, str):
                problem = "text must be a string"
            elif category is not None and (
                not isinstance(category, str) or not registry.taxonomy.has_category(category)
            ):
                problem = f"unknown category {category!r}"
            else:
                try:
                    lat, lon = _point(obj)
                except ValueError as exc:
                    problem = str(exc)
            if problem is not None:
                tally.bad += 1
                report_bad(line.number, problem)
                if strict:
                    return 1
                continue
            routed = route_report(registry, text, lat, lon, category=category, classifier=classifier)
            write_line(
                {
                    "id": obj.get("id"),
                    "category": routed.category,
                    "grid_id": routed.grid_id,
                    "unit_id": routed.unit_id,
                    "emergency": routed.emergency,
                    "reason": routed.reason,
                    "grid_name": registry.tree.name(routed.grid_id) if routed.grid_id else None,
                    "unit_name": registry.units[routed.unit_id].name if routed.unit_id else None,
                    "located_by": routed.location.source,
                    "confidence": routed.confidence,
                },
                out,
            )
    except StrictStop:
        return 1
    out.flush()
    return tally.exit_status
