"""Bad grid and unit files: one clear error naming the offending id or feature."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from dispatch.domain.errors import ImportErrorLine
from dispatch.domain.grid_import import parse_features, validate_hierarchy
from dispatch.domain.taxonomy import UNIT_KINDS, load_taxonomy
from dispatch.domain.unit_import import parse_units
from gridbot.bench.synthetic_county import make_county


def county() -> dict[str, Any]:
    return make_county(streets=2, communities=2, side=2)


def feature(doc: dict[str, Any], gid: str) -> dict[str, Any]:
    return next(f for f in doc["features"] if f["properties"]["id"] == gid)


def check(doc: Any) -> None:
    validate_hierarchy(parse_features(doc), {})


def test_valid_county_passes() -> None:
    grids = parse_features(county())
    validate_hierarchy(grids, {})
    assert len(grids) == 1 + 2 + 4 + 16


def mutate(fn: Any) -> dict[str, Any]:
    doc = copy.deepcopy(county())
    fn(doc)
    return doc


BAD = {
    "not a collection": ({"type": "Feature"}, "FeatureCollection"),
    "no features": ({"type": "FeatureCollection", "features": []}, "no features"),
    "ring does not close": (
        mutate(lambda d: feature(d, "S-01-01-01-01")["geometry"]["coordinates"][0].pop()),
        "does not close",
    ),
    "too few positions": (
        mutate(
            lambda d: feature(d, "S-01-01-01-01")["geometry"].update(
                coordinates=[[[115, 25.8], [115.1, 25.8], [115, 25.8]]]
            )
        ),
        "at least 4",
    ),
    "point geometry": (
        mutate(
            lambda d: feature(d, "S-01-01-01-01").update(geometry={"type": "Point", "coordinates": [115, 25]})
        ),
        "Polygon or MultiPolygon",
    ),
    "self-intersecting": (
        mutate(
            lambda d: feature(d, "S-01-01-01-01")["geometry"].update(
                coordinates=[[[115, 25.8], [115.01, 25.81], [115.01, 25.8], [115, 25.81], [115, 25.8]]]
            )
        ),
        "invalid polygon",
    ),
    "duplicate id": (
        mutate(lambda d: d["features"].append(copy.deepcopy(feature(d, "S-01-01-01-01")))),
        "duplicate grid id 'S-01-01-01-01'",
    ),
    "unknown parent": (
        mutate(lambda d: feature(d, "S-01-01-01-01")["properties"].update(parent="S-09")),
        "unknown parent 'S-09'",
    ),
    "wrong level": (
        mutate(lambda d: feature(d, "S-01-01-01-01")["properties"].update(level=3)),
        "'S-01-01-01-01'",
    ),
    "own parent": (
        mutate(lambda d: feature(d, "S-01-01")["properties"].update(parent="S-01-01")),
        "own parent",
    ),
    "missing parent": (
        mutate(lambda d: feature(d, "S-01-01")["properties"].update(parent=None)),
        "needs a parent",
    ),
    "child outside parent": (
        mutate(lambda d: feature(d, "S-01-01-01-01")["properties"].update(parent="S-01-02-01")),
        "outside its parent",
    ),
    "overlapping siblings": (
        mutate(
            lambda d: feature(d, "S-01-01-01-02").update(
                geometry=copy.deepcopy(feature(d, "S-01-01-01-01")["geometry"]),
                properties={**feature(d, "S-01-01-01-02")["properties"], "places": []},
            )
        ),
        "overlap",
    ),
    "place outside grid": (
        mutate(
            lambda d: feature(d, "S-01-01-01-01")["properties"]["places"].append(
                {"name": "远方", "lon": 100.0, "lat": 20.0}
            )
        ),
        "远方",
    ),
    "not lon/lat": (
        mutate(
            lambda d: feature(d, "S-01-01-01-01")["geometry"]["coordinates"][0].__setitem__(
                1, [500000.0, 25.8]
            )
        ),
        "WGS84",
    ),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_grids(name: str) -> None:
    doc, message = BAD[name]
    with pytest.raises(ImportErrorLine, match=message):
        check(doc)


def test_cycle_through_stored_grids() -> None:
    grids = parse_features(county())
    stored = {g.id: g for g in grids}
    # a stored street claims a new county as parent, whose parent is that street
    stored["S-01-01"].parent_id = "S-00"
    new = parse_features(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"id": "S-00", "name": "x", "level": 1, "parent": None},
                    "geometry": feature(county(), "S-01")["geometry"],
                }
            ],
        }
    )
    new[0].level = 3  # make the levels line up so only the cycle check can catch it
    new[0].parent_id = "S-01-01"
    with pytest.raises(ImportErrorLine):
        validate_hierarchy(new, stored)


CATS = load_taxonomy().category_ids


def units(*items: dict[str, Any]) -> dict[str, Any]:
    return {"units": list(items)}


GOOD = {"id": "a", "name": "A队", "kind": "law_enforcement", "categories": ["garbage"], "grids": ["S-01"]}

BAD_UNITS = {
    "unknown category": ({**GOOD, "categories": ["garbag"]}, "unknown category 'garbag'"),
    "unknown kind": ({**GOOD, "kind": "police"}, "unknown unit kind 'police'"),
    "no grids": ({**GOOD, "grids": []}, "grids must be"),
    "bad chat id": ({**GOOD, "chat_id": "group"}, "chat_id"),
    "no name": ({**GOOD, "name": ""}, "name"),
}


@pytest.mark.parametrize("name", list(BAD_UNITS))
def test_bad_units(name: str) -> None:
    raw, message = BAD_UNITS[name]
    with pytest.raises(ImportErrorLine, match=message):
        parse_units(units(raw), CATS, UNIT_KINDS)


def test_duplicate_unit_ids() -> None:
    with pytest.raises(ImportErrorLine, match="duplicate unit id 'a'"):
        parse_units(units(GOOD, GOOD), CATS, UNIT_KINDS)


def test_units_parse() -> None:
    (u,) = parse_units(units({**GOOD, "chat_id": -100123, "categories": ["*"]}), CATS, UNIT_KINDS)
    assert u.is_catch_all and u.chat_id == -100123
