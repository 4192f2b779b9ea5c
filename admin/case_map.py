"""The case page's small map: the case's point and its unit grid (with the grid above it as an
outline), as GeoJSON the page carries — no tile server, so it draws offline too."""

from __future__ import annotations

import json
from typing import Any

from shapely.geometry import mapping as geo_mapping

from dispatch.domain.case import Case
from dispatch.service.registry import Registry


def case_map(registry: Registry, case: Case) -> str | None:
    """JSON for `data-map` (None when the case has neither a point nor a grid)."""
    tree = registry.tree
    grids: list[dict[str, Any]] = []
    if case.grid_id is not None and case.grid_id in tree:
        grid = tree.get(case.grid_id)
        grids.append(_feature(grid.id, grid.name, grid.geometry, "grid"))
        if grid.parent_id is not None and grid.parent_id in tree:
            parent = tree.get(grid.parent_id)
            grids.append(_feature(parent.id, parent.name, parent.geometry, "parent"))
    point = [case.lat, case.lon] if case.lat is not None and case.lon is not None else None
    if point is None and not grids:
        return None
    return json.dumps({"point": point, "grids": {"type": "FeatureCollection", "features": grids}},
                      ensure_ascii=False, separators=(",", ":"))


def _feature(grid_id: str, name: str, geometry: Any, role: str) -> dict[str, Any]:
    simple = geometry.simplify(0.00002, preserve_topology=True)
    return {"type": "Feature", "geometry": geo_mapping(simple),
            "properties": {"id": grid_id, "name": name, "role": role}}
