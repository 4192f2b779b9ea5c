"""The case page carries a small map of the case's point and its unit grid (GeoJSON in the page,
drawn without tiles by case_map.js); a case with neither has none."""

from __future__ import annotations

import html
import json
from typing import Any

from shapely.geometry import Point, shape

from tests.admin.conftest import MARKET, logged_in


def map_data(page: str) -> Any:
    start = page.index('data-map="') + len('data-map="')
    return json.loads(html.unescape(page[start:page.index('"', start)]))


async def test_the_case_page_maps_the_point_in_its_grid(admin_app: Any, app: Any, users: Any,
                                                        cases: Any) -> None:
    case = cases["dispatched"]
    c = await logged_in(admin_app, "viewer")
    page = (await c.get(f"/cases/{case.id}")).text
    assert 'id="case-map"' in page and "/static/case_map.js" in page and "leaflet.js" in page
    data = map_data(page)
    assert data["point"] == [MARKET[0], MARKET[1]]
    grid, parent = data["grids"]["features"]
    assert grid["properties"] == {"id": case.grid_id, "name": app.registry.tree.name(case.grid_id), "role": "grid"}
    assert parent["properties"]["role"] == "parent"
    assert shape(grid["geometry"]).contains(Point(MARKET[1], MARKET[0]))  # GeoJSON is lon, lat
    nowhere = cases["triage"]  # no point, no grid: no map, no map script
    page = (await c.get(f"/cases/{nowhere.id}")).text
    assert 'id="case-map"' not in page and "case_map.js" not in page
    await c.aclose()
