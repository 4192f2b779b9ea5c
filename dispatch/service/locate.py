"""Where is the problem? A shared point first, then place names in the text."""

from __future__ import annotations

import math
from dataclasses import dataclass

import texts
from dispatch.service.registry import Registry


@dataclass(frozen=True, slots=True)
class Location:
    grid_id: str | None
    source: str  # point / place / none
    reason: str  # why no grid, or how it was found ("" when by point)
    place: str | None = None
    lat: float | None = None
    lon: float | None = None


def valid_point(lat: object, lon: object) -> bool:
    return (
        isinstance(lat, int | float)
        and isinstance(lon, int | float)
        and not isinstance(lat, bool)
        and not isinstance(lon, bool)
        and math.isfinite(lat)
        and math.isfinite(lon)
        and -90 <= lat <= 90
        and -180 <= lon <= 180
    )


def locate(registry: Registry, text: str, lat: float | None, lon: float | None) -> Location:
    if lat is not None and lon is not None:
        grid_id = registry.tree.locate(lon, lat)
        if grid_id is not None:
            return Location(grid_id, "point", "", lat=lat, lon=lon)
        # interfaces.md: place names decide only when there is no point.
        return Location(None, "none", texts.ROUTE_OUTSIDE.format(lat=lat, lon=lon), lat=lat, lon=lon)
    found = registry.gazetteer.resolve(text) if text else None
    if found is None:
        return Location(None, "none", texts.ROUTE_NO_LOCATION)
    return Location(
        found.grid_id,
        "place",
        texts.ROUTE_FROM_PLACE.format(place=found.place),
        found.place,
        found.lat,
        found.lon,
    )
