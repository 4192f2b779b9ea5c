"""Coverage (覆盖率) of a unit grid by patrol tracks, on a raster of cells.

The measure: the share of the grid's area that lies within `radius_m` metres of the track —
what a worker on foot could see. It is computed on a raster: the grid polygon is projected
to metres (equirectangular about its centroid; error well under 1 % across a unit grid), a
square lattice of cells of side max(5 m, √(area / 4000)) is laid over it, and the cells whose
centres fall inside the polygon are the grid's cells (at most ~4000; a grid smaller than one
cell has one, its representative point). The track is drawn as lines between consecutive
stored points, broken where two points are more than `GAP_S` apart (nobody knows where the
worker walked meanwhile), and buffered by the radius; a cell is covered when its centre is
in that buffer. Coverage = covered cells / cells.

The covered cells are kept as a bit mask per (patrol, grid), so a period's coverage is the
union (bitwise or) of its patrols' masks — walking the same street twice does not count twice.
A mask is only comparable with masks of the same raster (`Raster.key`): after a grid's
boundary changes, older masks are ignored."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from dispatch.domain.patrol import EARTH_M, TrackPoint

GAP_S = 300.0
MAX_CELLS = 4000
MIN_CELL_M = 5.0


@dataclass(frozen=True)
class Raster:
    lat0: float
    lon0: float
    xs: np.ndarray  # cell centres inside the grid, metres east of lon0
    ys: np.ndarray  # … metres north of lat0
    cell_m: float
    key: str  # identifies the lattice (geometry and cell size)

    @property
    def cells(self) -> int:
        return len(self.xs)

    def project(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        kx = EARTH_M * math.cos(math.radians(self.lat0)) * math.pi / 180
        ky = EARTH_M * math.pi / 180
        return (np.asarray(lon) - self.lon0) * kx, (np.asarray(lat) - self.lat0) * ky


def raster(geometry: BaseGeometry) -> Raster:
    c = geometry.centroid
    lat0, lon0 = c.y, c.x
    kx = EARTH_M * math.cos(math.radians(lat0)) * math.pi / 180
    ky = EARTH_M * math.pi / 180
    metric = shapely.transform(
        geometry, lambda a: np.column_stack(((a[:, 0] - lon0) * kx, (a[:, 1] - lat0) * ky))
    )
    cell = max(MIN_CELL_M, math.sqrt(metric.area / MAX_CELLS)) if metric.area > 0 else MIN_CELL_M
    x0, y0, x1, y1 = metric.bounds
    gx = np.arange(x0 + cell / 2, x1, cell)
    gy = np.arange(y0 + cell / 2, y1, cell)
    xx, yy = np.meshgrid(gx, gy)
    xs, ys = xx.ravel(), yy.ravel()
    inside = shapely.contains_xy(metric, xs, ys) if len(xs) else np.zeros(0, dtype=bool)
    xs, ys = xs[inside], ys[inside]
    if len(xs) == 0:
        p = metric.representative_point()
        xs, ys = np.array([p.x]), np.array([p.y])
    digest = hashlib.sha1(f"{shapely.to_wkb(geometry).hex()}:{cell:.3f}".encode()).hexdigest()[:16]
    return Raster(lat0, lon0, xs, ys, cell, digest)


def runs(track: Sequence[TrackPoint], gap_s: float = GAP_S) -> list[list[TrackPoint]]:
    """The track split where two consecutive points are more than `gap_s` apart."""
    out: list[list[TrackPoint]] = []
    for p in track:
        if out and (p.at - out[-1][-1].at).total_seconds() <= gap_s:
            out[-1].append(p)
        else:
            out.append([p])
    return out


def covered_mask(r: Raster, track: Sequence[TrackPoint], radius_m: float) -> int:
    """The cells of `r` within `radius_m` of the track, as a bit mask (bit i = cell i)."""
    parts = []
    for run in runs(track):
        x, y = r.project(np.array([p.lat for p in run]), np.array([p.lon for p in run]))
        parts.append(shapely.points(x[0], y[0]) if len(run) == 1 else shapely.linestrings(x, y))
    if not parts:
        return 0
    area = shapely.buffer(shapely.union_all(parts), radius_m, quad_segs=4)
    hit = shapely.contains_xy(area, r.xs, r.ys)
    return int.from_bytes(np.packbits(hit, bitorder="little").tobytes(), "little")


def share(mask: int, cells: int) -> float:
    return 0.0 if cells <= 0 else min(1.0, mask.bit_count() / cells)


def union(masks: Iterable[int]) -> int:
    out = 0
    for m in masks:
        out |= m
    return out


def coverage(geometry: BaseGeometry, track: Sequence[TrackPoint], radius_m: float) -> float:
    r = raster(geometry)
    return share(covered_mask(r, track, radius_m), r.cells)
