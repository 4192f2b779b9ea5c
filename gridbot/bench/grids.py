"""Benchmark: unit-grid lookup over a generated county, and `gridbot route` start-up."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np


def percentiles(samples_s: list[float]) -> dict[str, float]:
    arr = np.array(samples_s) * 1e6
    return {f"p{p}": float(np.percentile(arr, p)) for p in (50, 95, 99)}


def bench_lookup(
    points: int = 100_000, streets: int = 5, communities: int = 10, side: int = 5, seed: int = 7
) -> dict[str, Any]:
    from dispatch.domain.grid_import import parse_features
    from dispatch.domain.grids import GridTree
    from gridbot.bench.synthetic_county import make_county

    county = make_county(streets, communities, side, width=0.5, height=0.4)
    t0 = time.perf_counter()
    tree = GridTree(parse_features(county))
    tree.locate(115.1, 25.9)  # builds the STRtree
    build_s = time.perf_counter() - t0
    unit_grids = sum(1 for g in tree.by_id.values() if g.level == 4)
    rng = np.random.default_rng(seed)
    lons = 115.0 + rng.random(points) * 0.5
    lats = 25.8 + rng.random(points) * 0.4

    t0 = time.perf_counter()
    batch = tree.locate_many(lons, lats)
    batch_s = time.perf_counter() - t0

    single: list[float] = []
    n_single = min(points, 20_000)
    t_all = time.perf_counter()
    for i in range(n_single):
        t = time.perf_counter()
        tree.locate(float(lons[i]), float(lats[i]))
        single.append(time.perf_counter() - t)
    single_total = time.perf_counter() - t_all
    located = sum(1 for g in batch if g is not None)
    return {
        "unit_grids": unit_grids,
        "grids": len(tree),
        "points": points,
        "index_build_ms": build_s * 1e3,
        "batch_points_per_s": points / batch_s,
        "single_points_per_s": n_single / single_total,
        "single_latency_us": percentiles(single),
        "located_share": located / points,
    }


def bench_route_startup(runs: int = 7) -> dict[str, Any]:
    """Wall time of `gridbot route` on an empty stdin (process start to exit)."""
    times: list[float] = []
    env = dict(os.environ)
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "gridbot.cli", "route"],
            input=b"",
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        times.append(time.perf_counter() - t)
    return {"runs": runs, "median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}


def print_lookup(r: dict[str, Any]) -> None:
    lat = r["single_latency_us"]
    print(f"grid lookup: {r['unit_grids']} unit grids ({r['grids']} grids), {r['points']:,} random points")
    print(f"  index build          {r['index_build_ms']:.0f} ms")
    print(f"  batch (vectorised)   {r['batch_points_per_s']:,.0f} points/s")
    print(
        f"  one point at a time  {r['single_points_per_s']:,.0f} points/s;"
        f" latency p50 {lat['p50']:.1f} µs, p95 {lat['p95']:.1f} µs, p99 {lat['p99']:.1f} µs"
    )
    print(f"  points inside a grid {r['located_share']:.1%}")
