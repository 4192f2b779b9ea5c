"""`gridbot bench admin`: case-list page times with N generated cases (target p95 ≤ 300 ms).

Each request goes through the whole console in-process (ASGI): the session lookup, the
filtered count, the keyset page query, the position count and the template. Page kinds mix
the filters a dispatcher uses, deep pages and the text search (a scan)."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from dispatch.db.orm import CaseRow


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


async def _prepare(n: int, database_url: str | None, data_dir: Path) -> Any:
    from dispatch.service.imports import import_grids, import_members, import_units
    from dispatch.settings import Settings
    from gridbot.bench.synthetic_cases import insert_cases
    from gridbot.bootstrap import bootstrap

    url = database_url or f"sqlite+aiosqlite:///{data_dir / 'bench.sqlite3'}"
    app = await bootstrap(Settings(GRIDBOT_DATABASE_URL=url, GRIDBOT_DATA_DIR=data_dir))
    if not len(app.registry.tree):
        import json
        from datetime import UTC, datetime
        from importlib import resources

        import yaml

        demo = resources.files("gridbot").joinpath("demo")
        now = datetime.now(UTC)
        await import_grids(app.uow(), json.loads(demo.joinpath("county.geojson").read_text("utf-8")), now)
        await import_units(app.uow(), yaml.safe_load(demo.joinpath("units.yaml").read_text("utf-8")), now)
        await import_members(app.uow(), yaml.safe_load(demo.joinpath("people.yaml").read_text("utf-8")), now)
        await app.reload()
    async with app.uow() as uow:
        have = int(await uow.session.scalar(select(func.count()).select_from(CaseRow)) or 0)
    t0 = time.perf_counter()
    if have < n:
        await insert_cases(app, n - have, seed=have + 1, days=365)
    return app, have, time.perf_counter() - t0


async def run_bench(n: int = 100_000, rounds: int = 20, database_url: str | None = None) -> dict[str, Any]:
    from admin.accounts import create_user
    from admin.app import create_admin_app

    with tempfile.TemporaryDirectory(prefix="gridbot-bench-admin-") as tmp:
        app, had, fill_s = await _prepare(n, database_url, Path(tmp))
        try:
            username = f"bench-{int(time.time() * 1000)}"
            await create_user(app.uow(), username, "bench-password", "viewer", app.clock.now())
            api = create_admin_app(app, use_bot_photos=False)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api),
                                         base_url="http://bench") as c:
                page = await c.get("/login")
                token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
                r = await c.post("/login", data={"username": username, "password": "bench-password",
                                                 "csrf_token": token})
                assert r.status_code == 303, "bench login failed"
                async with app.uow() as uow:
                    total = int(await uow.session.scalar(select(func.count()).select_from(CaseRow)) or 0)
                    ids = (await uow.session.scalars(select(CaseRow.id).order_by(CaseRow.id.desc())
                                                     .offset(total // 2).limit(1))).all()
                    sample = (await uow.session.scalars(
                        select(CaseRow.id).order_by(CaseRow.id).limit(1))).all()
                mid = ids[0] if ids else 1
                tree = app.registry.tree
                street = next(g.id for g in tree.by_id.values() if g.level == 2)
                community = next(g.id for g in tree.by_id.values() if g.level == 3)
                unit = sorted(app.registry.units)[0]
                local = app.clock.now()
                week_from = (local.date().fromordinal(local.date().toordinal() - 30)).isoformat()
                week_to = (local.date().fromordinal(local.date().toordinal() - 23)).isoformat()
                kinds = {
                    "all, newest": "/cases",
                    "status=open": "/cases?status=open",
                    "street grid": f"/cases?grid={street}",
                    "community + dispatched": f"/cases?grid={community}&status=dispatched",
                    "category + unit": f"/cases?category=garbage&unit={unit}",
                    "overdue": "/cases?overdue=1",
                    "emergency": "/cases?emergency=1",
                    "one week": f"/cases?from={week_from}&to={week_to}",
                    "text search": "/cases?q=菜市场",
                    "deep page (keyset)": f"/cases?after={mid}",
                    "deep page, newer": f"/cases?before={mid}",
                    "case page": f"/cases/{sample[0] if sample else 1}",
                }
                per_kind: dict[str, dict[str, float]] = {}
                all_times: list[float] = []
                for name, url in kinds.items():
                    for _ in range(2):  # warm-up
                        assert (await c.get(url)).status_code == 200, url
                    times = []
                    for _ in range(rounds):
                        t = time.perf_counter()
                        r = await c.get(url)
                        times.append((time.perf_counter() - t) * 1000)
                        assert r.status_code == 200, url
                    all_times += times
                    per_kind[name] = {"p50_ms": round(statistics.median(times), 1),
                                      "p95_ms": round(_pct(times, 95), 1), "max_ms": round(max(times), 1)}
                extra: dict[str, float] = {}
                for name, url in (("dashboard", "/"), ("map data", "/api/map.json"), ("triage", "/triage")):
                    t = time.perf_counter()
                    assert (await c.get(url)).status_code == 200, url
                    extra[name + "_ms"] = round((time.perf_counter() - t) * 1000, 1)
            return {
                "database": app.engine.dialect.name, "cases": total, "generated": total - had,
                "fill_s": round(fill_s, 1), "rounds": rounds, "pages": per_kind,
                "list_p50_ms": round(statistics.median(all_times), 1),
                "list_p95_ms": round(_pct(all_times, 95), 1), "target_p95_ms": 300,
                "ok": _pct(all_times, 95) <= 300, "other_pages": extra,
            }
        finally:
            await app.close()


def print_result(r: dict[str, Any]) -> str:
    lines = [f"admin case list on {r['database']} with {r['cases']:,} cases "
             f"(generated {r['generated']:,} in {r['fill_s']} s), {r['rounds']} requests per kind:"]
    for name, v in r["pages"].items():
        lines.append(f"  {name:<24} p50 {v['p50_ms']:>7.1f} ms   p95 {v['p95_ms']:>7.1f} ms"
                     f"   max {v['max_ms']:>7.1f} ms")
    lines.append(f"all list pages: p50 {r['list_p50_ms']} ms, p95 {r['list_p95_ms']} ms "
                 f"(target ≤ {r['target_p95_ms']} ms: {'OK' if r['ok'] else 'MISSED'})")
    lines.append("one request each: " + ", ".join(f"{k[:-3]} {v} ms" for k, v in r["other_pages"].items()))
    return "\n".join(lines)
