"""The grid hierarchy (网格): county → street/town → community/village → unit grid."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

LEVEL_ZH = {1: "县/区", 2: "街道/镇", 3: "社区/村", 4: "单元网格"}
MAX_LEVEL = 4


@dataclass(frozen=True, slots=True)
class Place:
    """A named place attached to a grid: a road, market, school, housing estate…"""

    name: str
    grid_id: str
    kind: str = "landmark"
    aliases: tuple[str, ...] = ()
    lon: float | None = None
    lat: float | None = None


@dataclass(slots=True)
class Grid:
    id: str
    name: str
    level: int
    parent_id: str | None
    geometry: BaseGeometry
    places: list[Place] = field(default_factory=list)


class GridTree:
    """The hierarchy in memory: parents, children, ancestors and point lookup."""

    def __init__(self, grids: Iterable[Grid]) -> None:
        self.by_id: dict[str, Grid] = {g.id: g for g in grids}
        self.children: dict[str, list[str]] = {gid: [] for gid in self.by_id}
        for g in self.by_id.values():
            if g.parent_id is not None and g.parent_id in self.children:
                self.children[g.parent_id].append(g.id)
        self._ancestors: dict[str, tuple[str, ...]] = {}

    def __contains__(self, grid_id: object) -> bool:
        return grid_id in self.by_id

    def __len__(self) -> int:
        return len(self.by_id)

    def get(self, grid_id: str) -> Grid:
        return self.by_id[grid_id]

    def name(self, grid_id: str | None) -> str:
        if grid_id is None or grid_id not in self.by_id:
            return "未知网格"
        return self.by_id[grid_id].name

    def ancestors(self, grid_id: str) -> tuple[str, ...]:
        """The grid itself, then its parent, … up to the root (deepest first)."""
        cached = self._ancestors.get(grid_id)
        if cached is not None:
            return cached
        chain: list[str] = []
        current: str | None = grid_id
        seen: set[str] = set()
        while current is not None and current in self.by_id and current not in seen:
            seen.add(current)
            chain.append(current)
            current = self.by_id[current].parent_id
        result = tuple(chain)
        self._ancestors[grid_id] = result
        return result

    def is_within(self, grid_id: str, ancestor_id: str) -> bool:
        return ancestor_id in self.ancestors(grid_id)

    def descendants(self, grid_id: str) -> list[str]:
        out: list[str] = []
        stack = [grid_id]
        while stack:
            gid = stack.pop()
            out.append(gid)
            stack.extend(self.children.get(gid, ()))
        return out

    def lowest_common_ancestor(self, grid_ids: Sequence[str]) -> str | None:
        if not grid_ids:
            return None
        common = list(reversed(self.ancestors(grid_ids[0])))  # root first
        for gid in grid_ids[1:]:
            chain = list(reversed(self.ancestors(gid)))
            n = 0
            while n < min(len(common), len(chain)) and common[n] == chain[n]:
                n += 1
            common = common[:n]
        return common[-1] if common else None

    def path_names(self, grid_id: str) -> str:
        return " / ".join(self.by_id[g].name for g in reversed(self.ancestors(grid_id)))

    # -- spatial lookup ----------------------------------------------------------------
    @cached_property
    def _index(self) -> tuple[shapely.STRtree, list[str], np.ndarray]:
        ids = list(self.by_id)
        geoms = [self.by_id[g].geometry for g in ids]
        levels = np.array([self.by_id[g].level for g in ids], dtype=np.int16)
        return shapely.STRtree(geoms), ids, levels

    @cached_property
    def _leaf_index(self) -> tuple[shapely.STRtree, list[str]]:
        leaves = [g for g in self.by_id if not self.children.get(g)]
        geoms = [self.by_id[g].geometry for g in leaves]
        for geom in geoms:
            shapely.prepare(geom)
        return shapely.STRtree(geoms), leaves

    def locate(self, lon: float, lat: float) -> str | None:
        """The deepest grid containing the point, or None outside every grid."""
        tree, leaves = self._leaf_index
        hits = tree.query(shapely.Point(lon, lat), predicate="intersects")
        if len(hits):
            return leaves[int(hits.min())]  # first listed wins on a shared border
        # Not in any leaf: a gap inside a parent, or outside everything.
        return self.locate_many(np.array([lon]), np.array([lat]))[0]

    def locate_many(self, lons: np.ndarray, lats: np.ndarray) -> list[str | None]:
        """Vectorised lookup: the deepest containing grid for each point.

        A point on a shared border goes to the grid listed first (deterministic)."""
        tree, ids, levels = self._index
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        pairs = tree.query(points, predicate="intersects")
        result: list[str | None] = [None] * len(points)
        if pairs.shape[1] == 0:
            return result
        point_idx, geom_idx = pairs
        # Sort by point, then level descending, then geometry order: the first row of
        # each point is its answer.
        order = np.lexsort((geom_idx, -levels[geom_idx], point_idx))
        p_sorted = point_idx[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = p_sorted[1:] != p_sorted[:-1]
        for p, g in zip(p_sorted[first], geom_idx[order][first], strict=True):
            result[int(p)] = ids[int(g)]
        return result
