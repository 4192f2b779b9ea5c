"""Routing: grid × category → responsible unit (责任单位), as data plus one pure function.

The rule (interfaces.md): candidates are the units whose `grids` contain the case's
grid G or an ancestor of G and whose `categories` contain C or "*". A unit naming C
beats every "*" unit; within each group the unit whose matching grid is deepest wins.
Two units tied for some grid and category is a configuration error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dispatch.domain.errors import RoutingConfigError
from dispatch.domain.grids import GridTree

CATCH_ALL = "*"


@dataclass(frozen=True, slots=True)
class Unit:
    id: str
    name: str
    kind: str
    categories: frozenset[str]
    grids: tuple[str, ...]
    chat_id: int | None = None
    active: bool = True

    @property
    def is_catch_all(self) -> bool:
        return CATCH_ALL in self.categories


@dataclass(frozen=True, slots=True)
class RouteResult:
    """Where a case goes and why, as data: `unit_id` None means no unit (no grid, or no unit
    covers the grid and category); `rule_grid_id` is the grid whose rule matched, and
    `catch_all` says the unit took it as a catch-all ("*"). The text catalog says it in words."""

    grid_id: str | None
    category: str
    unit_id: str | None
    rule_grid_id: str | None = None
    catch_all: bool = False


class RoutingTable:
    """Units indexed by (grid, category-or-*) for O(depth) lookups."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self.units: dict[str, Unit] = {}
        self._index: dict[tuple[str, str], list[Unit]] = {}
        for unit in units:
            if not unit.active:
                continue
            self.units[unit.id] = unit
            for gid in unit.grids:
                for cat in unit.categories:
                    self._index.setdefault((gid, cat), []).append(unit)

    def at(self, grid_id: str, category: str) -> list[Unit]:
        return self._index.get((grid_id, category), [])

    def ties(self) -> list[tuple[str, str, list[str]]]:
        """Every (grid, category) that two or more units claim at the same depth."""
        return sorted(
            (gid, cat, sorted(u.id for u in units))
            for (gid, cat), units in self._index.items()
            if len(units) > 1
        )

    def check(self, tree: GridTree | None = None) -> None:
        ties = self.ties()
        if ties:
            gid, cat, ids = ties[0]
            more = f" (and {len(ties) - 1} more)" if len(ties) > 1 else ""
            raise RoutingConfigError(
                f"routing tie: units {', '.join(ids)} both take category {cat!r} in grid {gid!r}{more}"
            )
        if tree is not None:
            for unit in self.units.values():
                for gid in unit.grids:
                    if gid not in tree:
                        raise RoutingConfigError(f"unit {unit.id!r}: unknown grid {gid!r}")


def choose_unit(table: RoutingTable, tree: GridTree, grid_id: str, category: str) -> tuple[Unit, str] | None:
    """The winning unit and the grid whose rule matched, or None."""
    chain = tree.ancestors(grid_id) if grid_id in tree else (grid_id,)
    for key in (category, CATCH_ALL):
        for ancestor in chain:  # deepest first
            units = table.at(ancestor, key)
            if units:
                if len(units) > 1:
                    ids = ", ".join(sorted(u.id for u in units))
                    raise RoutingConfigError(
                        f"routing tie: units {ids} both take {key!r} in grid {ancestor!r}"
                    )
                return units[0], ancestor
    return None


def route(table: RoutingTable, tree: GridTree, grid_id: str | None, category: str) -> RouteResult:
    """Route a case of `category` located in `grid_id` (any level)."""
    if grid_id is None:
        return RouteResult(None, category, None)
    chosen = choose_unit(table, tree, grid_id, category)
    if chosen is None:
        return RouteResult(grid_id, category, None)
    unit, rule_grid = chosen
    catch_all = unit.is_catch_all and category not in unit.categories
    return RouteResult(grid_id, category, unit.id, rule_grid, catch_all)


def candidates(table: RoutingTable, tree: GridTree, grid_id: str | None, category: str) -> list[str]:
    """The units the rule considers for (grid, category), in the rule's order: those naming the
    category before the "*" units, each group deepest grid first. The first is the one `route`
    chooses; the others are where a dispatcher looks next (a unit of a wider grid)."""
    if grid_id is None:
        return []
    chain = tree.ancestors(grid_id) if grid_id in tree else (grid_id,)
    out: list[str] = []
    for key in (category, CATCH_ALL):
        for ancestor in chain:
            out.extend(u.id for u in sorted(table.at(ancestor, key), key=lambda u: u.id) if u.id not in out)
    return out


def likely_units(
    units: Iterable[Unit], table: RoutingTable, tree: GridTree, grid_id: str | None, category: str,
    limit: int = 4,
) -> list[str]:
    """Units a dispatcher most likely means for a case, best first: the rule's `candidates`
    that are active, then any active unit that takes the category."""
    units = list(units)
    inactive = {u.id for u in units if not u.active}
    known = grid_id if grid_id is not None and grid_id in tree else None
    out = [u for u in candidates(table, tree, known, category) if u not in inactive]
    out += sorted(u.id for u in units if u.active and category in u.categories)
    return list(dict.fromkeys(out))[:limit]
