"""Parse and validate a GeoJSON FeatureCollection of grids (interfaces.md).

Everything is checked before anything is written: the caller imports all or nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from dispatch.domain.errors import ImportErrorLine
from dispatch.domain.grids import MAX_LEVEL, Grid, Place

# Relative area tolerated outside the parent / shared by siblings: digitising noise
# (0.01 % of the smaller polygon), far below any real overlap.
AREA_TOLERANCE = 1e-4


def _label(index: int, grid_id: object) -> str:
    return f"feature #{index + 1} (id {grid_id!r})" if grid_id else f"feature #{index + 1}"


def _check_ring(ring: Any, where: str) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise ImportErrorLine(f"{where}: a polygon ring needs at least 4 positions")
    for pos in ring:
        if (
            not isinstance(pos, list | tuple)
            or len(pos) < 2
            or not all(isinstance(c, int | float) and math.isfinite(c) for c in pos[:2])
        ):
            raise ImportErrorLine(f"{where}: invalid position {pos!r}")
        lon, lat = pos[0], pos[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ImportErrorLine(f"{where}: position {pos!r} is not WGS84 lon/lat")
    if list(ring[0][:2]) != list(ring[-1][:2]):
        raise ImportErrorLine(f"{where}: polygon ring does not close (first position ≠ last)")


def _geometry(raw: Any, where: str) -> BaseGeometry:
    if not isinstance(raw, Mapping):
        raise ImportErrorLine(f"{where}: missing geometry")
    gtype = raw.get("type")
    coords = raw.get("coordinates")
    polygons: list[Any] | None
    if gtype == "Polygon":
        polygons = [coords]
    elif gtype == "MultiPolygon":
        polygons = coords if isinstance(coords, list) else None
    else:
        raise ImportErrorLine(f"{where}: geometry must be Polygon or MultiPolygon, not {gtype!r}")
    if not polygons or not isinstance(polygons, list):
        raise ImportErrorLine(f"{where}: geometry has no coordinates")
    for poly in polygons:
        if not isinstance(poly, list) or not poly:
            raise ImportErrorLine(f"{where}: empty polygon")
        for ring in poly:
            _check_ring(ring, where)
    try:
        geom = shape(raw)
    except Exception as exc:  # shapely raises several types for bad input
        raise ImportErrorLine(f"{where}: unreadable geometry: {exc}") from None
    if not geom.is_valid:
        raise ImportErrorLine(f"{where}: invalid polygon: {explain_validity(geom)}")
    if geom.is_empty or geom.area <= 0:
        raise ImportErrorLine(f"{where}: polygon has no area")
    assert isinstance(geom, Polygon | MultiPolygon)
    return geom


def _places(raw: Any, grid_id: str, where: str) -> list[Place]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ImportErrorLine(f"{where}: places must be a list")
    out: list[Place] = []
    for item in raw:
        if isinstance(item, str):
            if not item.strip():
                raise ImportErrorLine(f"{where}: empty place name")
            out.append(Place(name=item.strip(), grid_id=grid_id))
            continue
        if not isinstance(item, Mapping) or not str(item.get("name", "")).strip():
            raise ImportErrorLine(f"{where}: a place needs a name: {item!r}")
        lon, lat = item.get("lon"), item.get("lat")
        if (lon is None) != (lat is None) or (
            lon is not None and not (isinstance(lon, int | float) and isinstance(lat, int | float))
        ):
            raise ImportErrorLine(f"{where}: place {item.get('name')!r} has a bad lon/lat")
        aliases = item.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise ImportErrorLine(f"{where}: place {item.get('name')!r}: aliases must be strings")
        out.append(
            Place(
                name=str(item["name"]).strip(),
                grid_id=grid_id,
                kind=str(item.get("kind") or "landmark"),
                aliases=tuple(a.strip() for a in aliases if a.strip()),
                lon=float(lon) if lon is not None else None,
                lat=float(lat) if lat is not None else None,
            )
        )
    return out


def parse_features(doc: Any) -> list[Grid]:
    """Parse a FeatureCollection into grids, checking each feature on its own."""
    if not isinstance(doc, Mapping) or doc.get("type") != "FeatureCollection":
        raise ImportErrorLine("not a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise ImportErrorLine("FeatureCollection has no features")
    grids: list[Grid] = []
    seen: set[str] = set()
    for i, feat in enumerate(features):
        if not isinstance(feat, Mapping) or feat.get("type") != "Feature":
            raise ImportErrorLine(f"feature #{i + 1}: not a GeoJSON Feature")
        props = feat.get("properties")
        if not isinstance(props, Mapping):
            raise ImportErrorLine(f"feature #{i + 1}: missing properties")
        gid = props.get("id")
        where = _label(i, gid)
        if not isinstance(gid, str) or not gid.strip():
            raise ImportErrorLine(f"{where}: id must be a non-empty string")
        gid = gid.strip()
        if gid in seen:
            raise ImportErrorLine(f"duplicate grid id {gid!r} ({where})")
        seen.add(gid)
        name = props.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ImportErrorLine(f"{where}: name must be a non-empty string")
        level = props.get("level")
        if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= MAX_LEVEL:
            raise ImportErrorLine(f"{where}: level must be an integer 1–{MAX_LEVEL}, got {level!r}")
        parent = props.get("parent")
        if parent is not None and (not isinstance(parent, str) or not parent.strip()):
            raise ImportErrorLine(f"{where}: parent must be a grid id or null")
        if level == 1 and parent is not None:
            raise ImportErrorLine(f"{where}: a level-1 grid has no parent")
        if level > 1 and parent is None:
            raise ImportErrorLine(f"{where}: a level-{level} grid needs a parent")
        if parent == gid:
            raise ImportErrorLine(f"grid {gid!r} is its own parent (cycle)")
        grids.append(
            Grid(
                id=gid,
                name=name.strip(),
                level=level,
                parent_id=parent.strip() if isinstance(parent, str) else None,
                geometry=_geometry(feat.get("geometry"), where),
                places=_places(props.get("places"), gid, where),
            )
        )
    return grids


def validate_hierarchy(new: list[Grid], existing: Mapping[str, Grid]) -> None:
    """Check parents, levels, cycles, containment and sibling overlap.

    `existing` are grids already stored; `new` replace those with the same id."""
    merged: dict[str, Grid] = dict(existing)
    merged.update({g.id: g for g in new})
    new_ids = {g.id for g in new}

    for g in new:
        if g.parent_id is None:
            continue
        parent = merged.get(g.parent_id)
        if parent is None:
            raise ImportErrorLine(f"grid {g.id!r}: unknown parent {g.parent_id!r}")
        if parent.level != g.level - 1:
            raise ImportErrorLine(
                f"grid {g.id!r} (level {g.level}): parent {parent.id!r} is level {parent.level},"
                f" expected {g.level - 1}"
            )
    # Cycles (possible only through stored grids with inconsistent levels).
    for g in new:
        seen: set[str] = set()
        current: Grid | None = g
        while current is not None and current.parent_id is not None:
            if current.id in seen:
                raise ImportErrorLine(f"grid {g.id!r}: the parent chain has a cycle")
            seen.add(current.id)
            current = merged.get(current.parent_id)

    # Containment: every new child inside its parent; children of new parents too.
    to_check = [g for g in merged.values() if g.parent_id and (g.id in new_ids or g.parent_id in new_ids)]
    for g in to_check:
        parent = merged[g.parent_id]  # type: ignore[index]
        outside = g.geometry.difference(parent.geometry).area
        if outside > AREA_TOLERANCE * g.geometry.area:
            raise ImportErrorLine(
                f"grid {g.id!r} lies outside its parent {parent.id!r}"
                f" ({outside / g.geometry.area:.1%} of its area)"
            )
        for place in g.places:
            if place.lon is not None and place.lat is not None:
                if not g.geometry.buffer(1e-7).contains(shapely.Point(place.lon, place.lat)):
                    raise ImportErrorLine(f"grid {g.id!r}: place {place.name!r} lies outside the grid")

    # Sibling overlap, for every family that gained or changed a member.
    families: dict[str | None, list[Grid]] = {}
    for g in merged.values():
        families.setdefault(g.parent_id, []).append(g)
    touched = {g.parent_id for g in new}
    for parent_id in touched:
        siblings = families.get(parent_id, [])
        if len(siblings) < 2:
            continue
        tree = shapely.STRtree([s.geometry for s in siblings])
        left, right = tree.query([s.geometry for s in siblings], predicate="intersects")
        for a, b in zip(left.tolist(), right.tolist(), strict=True):
            if a >= b:
                continue
            ga, gb = siblings[a], siblings[b]
            if ga.id not in new_ids and gb.id not in new_ids:
                continue
            shared = ga.geometry.intersection(gb.geometry).area
            if shared > AREA_TOLERANCE * min(ga.geometry.area, gb.geometry.area):
                raise ImportErrorLine(f"grids {ga.id!r} and {gb.id!r} overlap (siblings under {parent_id!r})")
