"""`gridbot bench patrol`: live-location updates of many grid workers on patrol at once.

N synthetic grid workers (spread over the demo county's unit grids) start a patrol each and
walk (about 1.3 m/s, turning at random) while a simulated clock advances `interval` seconds
per round; every round each worker sends one update through the patrol service — the path a
Telegram `edited_message` takes after aiogram (one transaction: the open patrol, the point,
the patrol row). Reported: updates per second (one process, one event loop), CPU time per
update, latency percentiles, the database growth per patrol-hour, and the cost of ending a
patrol (coverage of the worker's grids, computed once)."""

from __future__ import annotations

import math
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
TG_BASE = 7_000_000_000


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


async def _db_bytes(app: Any) -> int:
    async with app.uow() as uow:
        if uow.session.get_bind().dialect.name == "postgresql":
            q = "SELECT pg_total_relation_size('patrols') + pg_total_relation_size('patrol_points')"
            return int((await uow.session.execute(text(q))).scalar_one())
        pages = int((await uow.session.execute(text("PRAGMA page_count"))).scalar_one())
        free = int((await uow.session.execute(text("PRAGMA freelist_count"))).scalar_one())
        size = int((await uow.session.execute(text("PRAGMA page_size"))).scalar_one())
        return (pages - free) * size


async def _prepare(workers: int, database_url: str | None, data_dir: Path) -> Any:
    import json
    from importlib import resources

    import yaml

    from dispatch.service.imports import import_grids, import_members, import_units
    from dispatch.service.ports import FixedClock
    from dispatch.settings import Settings
    from gridbot.bootstrap import bootstrap

    url = database_url or f"sqlite+aiosqlite:///{data_dir / 'bench.sqlite3'}"
    clock = FixedClock(START)
    app = await bootstrap(Settings(GRIDBOT_DATABASE_URL=url, GRIDBOT_DATA_DIR=data_dir), clock=clock)
    demo = resources.files("gridbot").joinpath("demo")
    if not len(app.registry.tree):
        await import_grids(app.uow(), json.loads(demo.joinpath("county.geojson").read_text("utf-8")), START)
        await import_units(app.uow(), yaml.safe_load(demo.joinpath("units.yaml").read_text("utf-8")), START)
        await app.reload()
    tree = app.registry.tree
    leaves = sorted(g for g in tree.by_id if not tree.children.get(g))
    grids = [leaves[i % len(leaves)] for i in range(workers)]
    people = [
        {"tg_id": TG_BASE + i, "name": f"巡查员{i}", "roles": ["grid_worker"], "grids": [g]}
        for i, g in enumerate(grids)
    ]
    await import_members(app.uow(), {"members": people}, START)
    await app.reload()
    return app, clock, grids


async def run_bench(
    workers: int = 1000, rounds: int = 20, interval: float = 30.0, database_url: str | None = None,
    seed: int = 7,
) -> dict[str, Any]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="gridbot-bench-patrol-") as tmp:
        app, clock, grids = await _prepare(workers, database_url, Path(tmp))
        try:
            tree = app.registry.tree
            where: list[list[float]] = []
            heading: list[float] = []
            before = await _db_bytes(app)
            t0 = time.perf_counter()
            for i, g in enumerate(grids):
                p = tree.get(g).geometry.representative_point()
                where.append([p.y, p.x])
                heading.append(rng.random() * 2 * math.pi)
                await app.patrols.start(TG_BASE + i, 1, p.y, p.x, 8 * 3600, clock.now())
            start_s = time.perf_counter() - t0
            latencies: list[float] = []
            verdicts: dict[str, int] = {}
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for _ in range(rounds):
                clock.set(clock.now() + timedelta(seconds=interval))
                for i in range(workers):
                    heading[i] += rng.uniform(-0.6, 0.6)
                    step = 1.3 * interval
                    lat, lon = where[i]
                    lat += step * math.cos(heading[i]) / 111_320
                    lon += step * math.sin(heading[i]) / (111_320 * math.cos(math.radians(lat)))
                    where[i] = [lat, lon]
                    t = time.perf_counter()
                    r = await app.patrols.update(TG_BASE + i, 1, lat, lon, True, clock.now())
                    latencies.append(time.perf_counter() - t)
                    verdicts[r.verdict] = verdicts.get(r.verdict, 0) + 1
            wall = time.perf_counter() - wall0
            cpu = time.process_time() - cpu0
            grown = await _db_bytes(app) - before
            patrol_hours = workers * rounds * interval / 3600
            ends: list[float] = []
            for i in range(min(workers, 200)):
                t = time.perf_counter()
                await app.patrols.end(TG_BASE + i)
                ends.append(time.perf_counter() - t)
            n = len(latencies)
            return {
                "database": app.engine.dialect.name,
                "workers": workers,
                "rounds": rounds,
                "interval_s": interval,
                "updates": n,
                "verdicts": verdicts,
                "updates_per_s": n / wall,
                "cpu_ms_per_update": cpu / n * 1e3,
                "latency_ms": {f"p{p}": _pct(latencies, p) * 1e3 for p in (50, 95, 99)},
                "needed_per_s_at_this_interval": workers / interval,
                "start_ms_per_patrol": start_s / workers * 1e3,
                "bytes_per_patrol_hour": grown / patrol_hours if patrol_hours else 0.0,
                "end_ms": {f"p{p}": _pct(ends, p) * 1e3 for p in (50, 95)},
            }
        finally:
            await app.close()


def print_result(r: dict[str, Any]) -> str:
    lat, end = r["latency_ms"], r["end_ms"]
    return "\n".join([
        f"patrol updates on {r['database']}: {r['workers']} workers × {r['rounds']} rounds "
        f"(one update each every {r['interval_s']:g} s simulated) = {r['updates']} updates {r['verdicts']}",
        f"  {r['updates_per_s']:.0f} updates/s in one process "
        f"(needed: {r['needed_per_s_at_this_interval']:.1f}/s), CPU {r['cpu_ms_per_update']:.2f} ms/update",
        f"  latency p50 {lat['p50']:.2f} ms  p95 {lat['p95']:.2f} ms  p99 {lat['p99']:.2f} ms",
        f"  storage {r['bytes_per_patrol_hour'] / 1024:.1f} KiB per patrol-hour; "
        f"start {r['start_ms_per_patrol']:.2f} ms; "
        f"end (coverage) p50 {end['p50']:.1f} ms p95 {end['p95']:.1f} ms",
    ])
