"""Grids and units survive a round trip through the database; re-import updates in place."""

from __future__ import annotations

from typing import Any

import pytest

from dispatch.domain.errors import ImportErrorLine
from dispatch.service.imports import import_grids, import_units
from dispatch.service.registry import load_registry
from gridbot.bench.synthetic_county import catch_all_units, make_county


async def test_round_trip_and_idempotent_reimport(app: Any, clock: Any) -> None:
    county = make_county(streets=2, communities=2, side=2, lon0=116.0, prefix="R")
    # hang the generated county under nothing: it is a second level-1 grid
    first = await import_grids(app.uow(), county, clock.now())
    assert first["created"] == 23 and first["updated"] == 0
    again = await import_grids(app.uow(), county, clock.now())
    assert again["created"] == 0 and again["updated"] == 23
    await import_units(app.uow(), catch_all_units(county), clock.now())
    registry = await load_registry(app.uow())
    for f in county["features"]:
        p = f["properties"]
        grid = registry.tree.get(p["id"])
        assert (grid.name, grid.level, grid.parent_id) == (p["name"], p["level"], p["parent"])
        ring = f["geometry"]["coordinates"][0]
        assert list(grid.geometry.exterior.coords) == [tuple(c) for c in ring]
        assert [pl.name for pl in grid.places] == [x["name"] for x in p.get("places", [])]
    assert registry.tree.locate(116.0075, 25.8062) == "R-01-01-01-01"
    assert registry.units["st-R-01-01-01"].categories == frozenset({"*"})
    # the demo county is untouched
    assert "G-01-01-01-04" in registry.tree


async def test_failed_import_changes_nothing(app: Any, clock: Any) -> None:
    county = make_county(streets=2, communities=2, side=2, lon0=116.0, prefix="R")
    county["features"][-1]["properties"]["parent"] = "R-09-09"
    with pytest.raises(ImportErrorLine, match="unknown parent 'R-09-09'"):
        await import_grids(app.uow(), county, clock.now())
    registry = await load_registry(app.uow())
    assert "R-01" not in registry.tree
