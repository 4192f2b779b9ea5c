"""Routing: the rule of interfaces.md, table-driven and as properties."""

from __future__ import annotations

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.domain.errors import RoutingConfigError
from dispatch.domain.grids import GridTree
from dispatch.domain.routing import RoutingTable, Unit, candidates, choose_unit, route
from tests.dispatch.conftest import unit

CASES = [
    # grid, category, expected unit, why
    ("S-01-01-02-03", "street_vending", "zf-market", "a unit at the unit grid beats the street unit"),
    ("S-01-01-02-01", "street_vending", "zf-street1", "street-level named unit"),
    ("S-01-02-01-01", "street_vending", "zf-street2", "the other street"),
    ("S-01-02-01-01", "clutter", "zf-street2", "named unit of that street"),
    ("S-01-01-01-02", "garbage", "station-01-01", "no named unit: the deepest catch-all"),
    ("S-01-02-02-04", "garbage", "centre", "no station there: the county catch-all"),
    ("S-01-01-01-01", "illegal_parking", "traffic", "a county-wide named unit beats a deeper catch-all"),
    ("S-01-01-01", "street_vending", "zf-street1", "a community-level case"),
    ("S-01-01", "garbage", "centre", "a street-level case, only the centre covers it"),
]


@pytest.mark.parametrize("grid,category,expected,why", CASES, ids=[c[3] for c in CASES])
def test_route_table(
    tree: GridTree, table: RoutingTable, grid: str, category: str, expected: str, why: str
) -> None:
    result = route(table, tree, grid, category)
    assert result.unit_id == expected, why
    assert result.grid_id == grid


def test_result_says_which_rule_matched(tree: GridTree, table: RoutingTable) -> None:
    r = route(table, tree, "S-01-01-02-01", "street_vending")
    assert (r.unit_id, r.rule_grid_id, r.catch_all) == ("zf-street1", "S-01-01", False)
    r = route(table, tree, "S-01-01-01-02", "garbage")
    assert r.catch_all and r.unit_id is not None


def test_candidates_in_the_rules_order(tree: GridTree, table: RoutingTable) -> None:
    """The chosen unit first, then the wider grids' units of the category, then the catch-alls."""
    got = candidates(table, tree, "S-01-01-02-03", "street_vending")
    assert got[:2] == ["zf-market", "zf-street1"] and got[-1] == "centre"
    assert got[0] == route(table, tree, "S-01-01-02-03", "street_vending").unit_id
    assert "zf-street2" not in got and len(got) == len(set(got))
    assert candidates(table, tree, "S-01-01-01-02", "garbage") == ["station-01-01", "centre"]
    assert candidates(table, tree, None, "garbage") == []


def test_no_grid_and_no_unit(tree: GridTree) -> None:
    r = route(RoutingTable([]), tree, None, "garbage")
    assert r.unit_id is None and r.grid_id is None
    r = route(RoutingTable([]), tree, "S-01-01-01-01", "garbage")
    assert r.unit_id is None and r.grid_id == "S-01-01-01-01"


def test_ties_are_configuration_errors(tree: GridTree) -> None:
    t = RoutingTable([unit("a", ["garbage"], ["S-01-01"]), unit("b", ["garbage", "clutter"], ["S-01-01"])])
    assert t.ties() == [("S-01-01", "garbage", ["a", "b"])]
    with pytest.raises(RoutingConfigError, match="'garbage'.*'S-01-01'"):
        t.check(tree)
    # the same category at different depths is no tie
    RoutingTable([unit("a", ["garbage"], ["S-01-01"]), unit("b", ["garbage"], ["S-01-01-01"])]).check(tree)


def test_unknown_grid_in_unit_is_reported(tree: GridTree) -> None:
    with pytest.raises(RoutingConfigError, match="unknown grid 'X-9'"):
        RoutingTable([unit("a", ["garbage"], ["X-9"])]).check(tree)


def test_point_outside_every_grid(tree: GridTree) -> None:
    assert tree.locate(0.0, 0.0) is None
    assert tree.locate(115.01, 25.81) is not None


leaves_strategy = st.integers(min_value=0, max_value=10_000)


@settings(max_examples=200, deadline=None)
@given(index=leaves_strategy, fx=st.floats(0.01, 0.99), fy=st.floats(0.01, 0.99))
def test_random_point_in_random_unit_grid_resolves_to_it(
    tree: GridTree, index: int, fx: float, fy: float
) -> None:
    leaves = sorted(g for g, grid in tree.by_id.items() if grid.level == 4)
    gid = leaves[index % len(leaves)]
    geom = tree.get(gid).geometry
    minx, miny, maxx, maxy = geom.bounds
    x, y = minx + fx * (maxx - minx), miny + fy * (maxy - miny)
    assert geom.contains(shapely.Point(x, y))
    assert tree.locate(x, y) == gid


ALL_CATS = ["garbage", "clutter", "street_vending", "noise"]


@st.composite
def unit_sets(draw: st.DrawFn, tree: GridTree) -> list[Unit]:
    ids = sorted(tree.by_id)
    units: list[Unit] = []
    taken: set[tuple[str, str]] = set()
    for n in range(draw(st.integers(1, 8))):
        cats = draw(st.lists(st.sampled_from(ALL_CATS + ["*"]), min_size=1, max_size=3, unique=True))
        grids = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
        pairs = {(g, c) for g in grids for c in cats}
        if pairs & taken:  # keep the configuration tie-free
            continue
        taken |= pairs
        units.append(unit(f"u{n}", cats, grids))
    return units


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_deepest_named_rule_wins(tree: GridTree, data: st.DataObject) -> None:
    units = data.draw(unit_sets(tree))
    table = RoutingTable(units)
    table.check(tree)
    grid = data.draw(st.sampled_from(sorted(tree.by_id)))
    cat = data.draw(st.sampled_from(ALL_CATS))
    chosen = choose_unit(table, tree, grid, cat)
    chain = tree.ancestors(grid)
    named = [(chain.index(g), u) for u in units if cat in u.categories for g in u.grids if g in chain]
    wild = [(chain.index(g), u) for u in units if "*" in u.categories for g in u.grids if g in chain]
    expected = (
        min(named, key=lambda p: p[0])[1] if named else (min(wild, key=lambda p: p[0])[1] if wild else None)
    )
    assert (chosen[0] if chosen else None) == expected


def test_gazetteer_resolves_typed_addresses() -> None:
    import json
    from importlib import resources

    from dispatch.domain.gazetteer import Gazetteer
    from dispatch.domain.grid_import import parse_features
    from dispatch.domain.grids import GridTree

    doc = json.loads(resources.files("gridbot").joinpath("demo/county.geojson").read_text("utf-8"))
    g = Gazetteer(GridTree(parse_features(doc)))
    assert g.resolve("解放路菜市场门口天天有人摆摊").grid_id == "G-01-01-01-04"
    assert g.resolve("解放路菜场门口").grid_id == "G-01-01-01-04"  # a shortened name
    assert g.resolve("城西社区第三网格垃圾没人收").grid_id == "G-01-02-03-03"  # 第三 for 第3
    road = g.resolve("人民路上有个坑")
    assert road is not None and len(road.grid_id.split("-")) < 5  # a long road: its common ancestor
    assert g.resolve("我家门口有垃圾") is None
    assert g.resolve("火星大道有个坑") is None  # an alias that is only a place-type word never matches
