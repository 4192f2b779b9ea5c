from __future__ import annotations

import pytest

from dispatch.domain.grid_import import parse_features
from dispatch.domain.grids import GridTree
from dispatch.domain.routing import RoutingTable, Unit
from gridbot.bench.synthetic_county import make_county


@pytest.fixture(scope="session")
def county() -> dict:
    return make_county(streets=2, communities=2, side=2)


@pytest.fixture(scope="session")
def tree(county: dict) -> GridTree:
    return GridTree(parse_features(county))


def unit(uid: str, cats: list[str], grids: list[str], kind: str = "law_enforcement") -> Unit:
    return Unit(id=uid, name=uid, kind=kind, categories=frozenset(cats), grids=tuple(grids))


@pytest.fixture(scope="session")
def table() -> RoutingTable:
    return RoutingTable(
        [
            unit("centre", ["*"], ["S-01"], "community"),
            unit("station-01-01", ["*"], ["S-01-01-01"], "community"),
            unit("zf-street1", ["street_vending", "clutter"], ["S-01-01"]),
            unit("zf-street2", ["street_vending", "clutter"], ["S-01-02"]),
            unit("zf-market", ["street_vending"], ["S-01-01-02-03"]),
            unit("traffic", ["illegal_parking"], ["S-01"], "traffic_police"),
        ]
    )
