"""Write the demo county's month of history, gridbot/demo/history.jsonl (`gridbot history
import` format): a few hundred cases across the unit grids, with the usual mix — most handled
on time, some late, some reworked after an unhappy rating or a failed 核查, a few cancelled or
duplicates, on-the-spot records (most reviewed), and the latest still open, some overdue.

Deterministic (seeded). Times are November 2026; `gridbot demo load` and `gridbot sandbox`
shift them by whole weeks so that the month ends just before the day they run."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from dispatch.domain.grid_import import parse_features
from dispatch.domain.grids import GridTree
from dispatch.domain.routing import RoutingTable, Unit, choose_unit

DEMO = Path(__file__).resolve().parent.parent / "gridbot" / "demo"
CN = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 1, tzinfo=CN)
DAYS = 30
CASES = 320
# category → (hours allowed, a report text)
CATEGORIES = {
    "garbage": (4, "垃圾桶满了没人清运，味道很大"),
    "street_vending": (2, "路口有流动摊贩占道经营"),
    "illegal_parking": (2, "人行道上停满了车，行人没法走"),
    "clutter": (8, "楼道里堆满杂物，存在消防隐患"),
    "road_facility": (24, "路面有个大坑，电动车容易摔"),
    "drainage": (12, "下水道堵了，污水漫到路上"),
    "greenery": (24, "绿化带的树枝断了挂在半空"),
    "illegal_ads": (8, "墙上贴满了小广告"),
    "noise": (4, "夜里工地施工噪音很大"),
}


def centroid(geometry: dict[str, Any]) -> tuple[float, float]:
    """A point inside the grid (lat, lon)."""
    from shapely.geometry import shape

    p = shape(geometry).representative_point()
    return p.y, p.x


def iso(at: datetime) -> str:
    return at.isoformat(timespec="minutes")


def build(seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    county = json.loads((DEMO / "county.geojson").read_text("utf-8"))
    people = yaml.safe_load((DEMO / "people.yaml").read_text("utf-8"))["members"]
    leaves = {f["properties"]["id"]: centroid(f["geometry"]) for f in county["features"]
              if f["properties"]["level"] == 4}
    residents = [f"tg-{p['tg_id']}" for p in people if p.get("roles") == ["resident"]]
    workers: dict[str, list[str]] = {}
    for p in people:
        if "grid_worker" in p.get("roles", []):
            for g in p.get("grids", []):
                workers.setdefault(g, []).append(f"tg-{p['tg_id']}")
    leaders = [f"tg-{p['tg_id']}" for p in people if {"dispatcher", "admin"} & set(p.get("roles", []))]
    grids = sorted(leaves)
    tree = GridTree(parse_features(county))
    units = yaml.safe_load((DEMO / "units.yaml").read_text("utf-8"))["units"]
    table = RoutingTable(
        Unit(id=u["id"], name=u["name"], kind=u["kind"], categories=frozenset(u["categories"]),
             grids=tuple(u["grids"]))
        for u in units
    )
    events: list[dict[str, Any]] = []
    recent: dict[str, tuple[str, datetime]] = {}  # grid → a case there (for duplicates)
    for n in range(CASES):
        ref = f"QH-HIST-{n + 1:04d}"
        at = START + timedelta(minutes=rng.randrange(DAYS * 24 * 60))
        at = at.replace(hour=rng.choice([8, 9, 10, 11, 14, 15, 16, 17, 19]))
        grid = rng.choice(grids)
        lat, lon = leaves[grid]
        jittered = round(lat + rng.uniform(-0.0004, 0.0004), 6), round(lon + rng.uniform(-0.0004, 0.0004), 6)
        if tree.locate(jittered[1], jittered[0]) is not None:
            lat, lon = jittered
        grid = tree.locate(lon, lat) or grid  # where the case will be located
        routable = [c for c in CATEGORIES if choose_unit(table, tree, grid, c) is not None]
        category = rng.choice(routable)
        hours, text = CATEGORIES[category]
        gw = workers.get(grid, [])
        by_worker = bool(gw) and rng.random() < 0.45
        reporter = rng.choice(gw) if by_worker else rng.choice(residents)
        base = {"case": ref, "text": text, "category": category, "lat": lat, "lon": lon, "reporter": reporter}

        def ev(when: datetime, action: str, case: str = ref, **kw: Any) -> None:
            events.append({"case": case, "at": iso(when), "action": action, **kw})

        roll = rng.random()
        if by_worker and roll < 0.18:  # 现场处置, most reviewed the next day
            ev(at, "report", **base, on_spot=True)
            if rng.random() < 0.8:
                ev(at + timedelta(hours=rng.randint(12, 30)), "review", ok=True, by=rng.choice(leaders))
            continue
        if grid in recent and recent[grid][1] < at and roll < 0.22:  # the same problem again
            ev(at, "report", **base, duplicate_of=recent[grid][0])
            continue
        ev(at, "report", **base)
        recent[grid] = (ref, at)
        if roll < 0.25:
            ev(at + timedelta(minutes=rng.randint(10, 90)), "cancel", reason="重复或无效上报")
            continue
        due = at + timedelta(hours=hours)
        if rng.random() < 0.06:  # first sent to the wrong unit, which returns it (回退, 改派)
            routed = choose_unit(table, tree, grid, category)
            wrong = rng.choice([u["id"] for u in units if routed is None or u["id"] != routed[0].id])
            ev(at, "dispatch", unit=wrong, due=iso(due))
            at = at + timedelta(minutes=rng.randint(15, 90))
            ev(at, "return", reason="非本单位职责")
            due = at + timedelta(hours=hours)
        ev(at, "dispatch", due=iso(due))
        t = at + timedelta(minutes=rng.randint(5, 60))
        ends = START + timedelta(days=DAYS)
        if at > ends - timedelta(days=2) and rng.random() < 0.6:  # the latest: still open
            if rng.random() < 0.5:
                ev(t, "accept")
            continue
        if rng.random() < 0.04:  # left open, overdue
            continue
        ev(t, "accept")
        if rng.random() < 0.08:  # more time approved
            due = due + timedelta(hours=hours)
            ev(t + timedelta(minutes=10), "extend", due=iso(due), reason="需协调其他部门")
        late = rng.random() < 0.12
        allowed = (due - t).total_seconds() / 60
        spent = allowed * (rng.uniform(1.1, 2.5) if late else rng.uniform(0.2, 0.95))
        t = t + timedelta(minutes=max(5, int(spent)))
        ev(t, "resolve", note="已处理，附整改照片")
        verify = bool(gw) and rng.random() < 0.7
        rework = rng.random() < 0.08
        if verify:
            t += timedelta(hours=rng.randint(1, 6))
            if rework and rng.random() < 0.5:
                ev(t, "verify", ok=False, by=rng.choice(gw), note="现场仍未整改到位")
                t += timedelta(hours=rng.randint(1, 4))
                ev(t, "resolve", note="返工完成")
                t += timedelta(hours=rng.randint(1, 6))
                rework = False
            ev(t, "verify", ok=True, by=rng.choice(gw))
        t += timedelta(hours=rng.randint(1, 20))
        if rng.random() < 0.15:
            ev(t + timedelta(hours=72), "rate", default=True)
        elif rework:
            ev(t, "rate", rating="不满意", solved=False, reason="问题还在")
            t += timedelta(hours=rng.randint(2, 8))
            ev(t, "resolve", note="返工完成")
            t += timedelta(hours=rng.randint(1, 10))
            ev(t, "rate", rating="基本满意", solved=True)
        else:
            rating = rng.choices(["满意", "基本满意", "不满意"], [75, 20, 5])[0]
            if rating == "不满意":  # unhappy: rework, then accepted
                ev(t, "rate", rating=rating, solved=False, reason="处理不彻底")
                t += timedelta(hours=rng.randint(2, 8))
                ev(t, "resolve", note="返工完成")
                t += timedelta(hours=rng.randint(1, 10))
                if rng.random() < 0.5:  # still unhappy: nobody rated again
                    ev(t + timedelta(hours=72), "rate", default=True)
                else:
                    ev(t, "rate", rating="基本满意", solved=rng.random() < 0.9)
            else:
                ev(t, "rate", rating=rating, solved=rng.random() < 0.97)
    # one stream in time order (each case's own events are already in order)
    events.sort(key=lambda e: e["at"])
    return events


def main() -> None:
    events = build()
    out = DEMO / "history.jsonl"
    out.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events), "utf-8")
    print(f"{out}: {len({e['case'] for e in events})} cases, {len(events)} events")


if __name__ == "__main__":
    main()
