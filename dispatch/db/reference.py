"""Grid and unit rows → domain objects, without importing SQLAlchemy.

Shared by the ORM repositories and the fast read-only SQLite path of `gridbot route`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Protocol

from shapely.geometry import shape

from dispatch.domain.grids import Grid, Place
from dispatch.domain.routing import Unit


class GridLike(Protocol):
    """A grids row: the ORM's, or a namespace read with sqlite3."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def level(self) -> int: ...
    @property
    def parent_id(self) -> str | None: ...
    @property
    def geometry(self) -> dict[str, Any]: ...
    @property
    def places(self) -> Any: ...


class UnitLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def chat_id(self) -> int | None: ...
    @property
    def categories(self) -> Any: ...
    @property
    def grids(self) -> Any: ...
    @property
    def active(self) -> bool: ...


def grid_from_row(row: GridLike) -> Grid:
    places = [
        Place(
            name=p["name"],
            grid_id=row.id,
            kind=p.get("kind", "landmark"),
            aliases=tuple(p.get("aliases", ())),
            lon=p.get("lon"),
            lat=p.get("lat"),
        )
        for p in row.places or []
    ]
    return Grid(row.id, row.name, row.level, row.parent_id, shape(row.geometry), places)


def unit_from_row(row: UnitLike) -> Unit:
    return Unit(
        id=row.id,
        name=row.name,
        kind=row.kind,
        categories=frozenset(row.categories),
        grids=tuple(row.grids),
        chat_id=row.chat_id,
        active=bool(row.active),
    )


def read_sqlite(path: Path) -> tuple[list[Grid], list[Unit]] | None:
    """Grids and units straight from a SQLite file (read-only), or None when the file
    or its tables do not exist yet."""
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        grids = [
            grid_from_row(
                SimpleNamespace(
                    id=r[0],
                    name=r[1],
                    level=r[2],
                    parent_id=r[3],
                    geometry=json.loads(r[4]),
                    places=json.loads(r[5] or "[]"),
                )
            )
            for r in conn.execute("SELECT id, name, level, parent_id, geometry, places FROM grids")
        ]
        units = [
            unit_from_row(
                SimpleNamespace(
                    id=r[0],
                    name=r[1],
                    kind=r[2],
                    chat_id=r[3],
                    categories=json.loads(r[4]),
                    grids=json.loads(r[5]),
                    active=r[6],
                )
            )
            for r in conn.execute(
                "SELECT id, name, kind, chat_id, categories, grids, active FROM units ORDER BY id"
            )
        ]
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return grids, units
