"""Generated cases, inserted in bulk (for `gridbot bench admin`, `gridbot bench bot
--existing-cases` and the console tests).

Rows are realistic enough for the console and for the bot's submit path: every status,
categories (the common ones more often), unit grids with a point inside them or at one of
their named places (where residents report), units from the routing table, deadlines, some
overdue, some emergencies, and a `reported` + `dispatched` (+ `resolved`, `closed`) event
trail for the dashboard. Numbers follow the real format, one sequence per local day, and the
day counters (`case_counters`) are moved past them, so the next report gets a fresh number.
What grows with cases in production grows here too: each chat case has its transcript (the
description in, the number out), its submission record (`chat_submissions`), and a
dispatched case its unit card in the outbox (sent).

The rows are plain tuples written by `gridbot/bench/bulk_load.py` (SQLite: executemany in
large transactions; PostgreSQL: COPY), then both databases are analysed."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.domain.numbering import format_case_number

STATUSES = (["closed"] * 45 + ["dispatched"] * 12 + ["accepted"] * 10 + ["resolved"] * 8
            + ["verified"] * 4 + ["triage"] * 5 + ["returned"] * 2 + ["reopened"] * 2
            + ["cancelled"] * 8 + ["duplicate"] * 4)
WORDS = ["解放路", "人民路", "五丰菜市场", "滨江公园", "建设路", "西山小区", "火车站", "县一中", "东门桥",
         "垃圾桶满了没人清运", "有人占道摆摊", "路灯不亮", "井盖松动", "乱停车堵住消防通道", "广告乱贴",
         "施工噪音扰民", "绿化带被踩坏", "污水外溢", "共享单车乱放"]
# What residents report most (占道经营, 垃圾, 井盖, 乱停车, 噪音, 下水道, 出店经营, 小广告): three
# times as often as any other category (about 60 % of the cases with the demo's taxonomy).
COMMON = ("street_vending", "garbage", "road_facility", "illegal_parking", "noise", "drainage",
          "shopfront_encroachment", "illegal_ads")
FIRST_CHAT_USER = 50_000_000  # the seeded reporters' Telegram ids: far from real and simulated ones
CHAT_USERS = 20_000

CASE_COLUMNS = (
    "id", "number", "category", "description", "status", "reporter_id", "reporter_role", "channel",
    "lat", "lon", "address", "grid_id", "unit_id", "emergency", "priority", "due_at", "created_at",
    "updated_at", "dispatched_at", "accepted_at", "accepted_by", "resolved_at", "closed_at",
    "rework_count", "extension_count", "return_count", "on_spot", "rating", "nlu_confidence",
    "duplicate_of", "photos", "version",
)
EVENT_COLUMNS = ("case_id", "at", "action", "actor_id", "actor_role", "channel", "old_status",
                 "new_status", "note", "data")
MESSAGE_COLUMNS = ("case_id", "chat_id", "user_id", "direction", "kind", "text", "file_ids", "payload",
                   "tg_message_id", "at")
SUBMISSION_COLUMNS = ("user_id", "nonce", "case_id", "at")
OUTBOX_COLUMNS = ("created_at", "case_id", "chat_id", "kind", "payload", "state", "attempts",
                  "next_attempt_at", "last_error", "tg_message_id", "sent_at", "parts_done")
TABLES = {"cases": CASE_COLUMNS, "case_events": EVENT_COLUMNS, "messages": MESSAGE_COLUMNS,
          "chat_submissions": SUBMISSION_COLUMNS, "outbox": OUTBOX_COLUMNS}


@dataclass
class Batch:
    """One chunk of generated rows, per table, in the column order of `TABLES`."""

    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: {t: [] for t in TABLES})


@dataclass(frozen=True)
class County:
    """What the generator draws from: points (grid, lat, lon), categories, units and their chats."""

    points: list[tuple[str, float, float]]
    categories: list[str]
    units: list[str]
    unit_chats: dict[str, int]
    prefix: str
    tz: ZoneInfo


def county_of(app: Any) -> County:
    """The app's county: every unit grid's inside point, and each of its named places twice
    (reports cluster where people are: markets, schools, main roads)."""
    registry = app.registry
    tree = registry.tree
    points: list[tuple[str, float, float]] = []
    for g in tree.by_id.values():
        if tree.children.get(g.id):
            continue
        p = g.geometry.representative_point()
        points.append((g.id, p.y, p.x))
        points += [(g.id, pl.lat, pl.lon) for pl in g.places if pl.lat is not None and pl.lon is not None] * 2
    cats = list(registry.taxonomy.category_ids)
    common = [c for c in COMMON if c in cats]
    units = list(registry.units)
    chats = {u.id: u.chat_id for u in registry.units.values() if u.chat_id is not None}
    return County(points, cats + common * max(1, len(cats) // max(1, len(common))), units, chats,
                  app.settings.case_prefix, app.settings.tz)


class Stamps:
    """Datetimes as each database takes them in bulk: SQLite the text SQLAlchemy writes (naive
    UTC), PostgreSQL aware datetimes; JSON as text for both."""

    def __init__(self, sqlite: bool) -> None:
        self.at: Callable[[datetime | None], Any] = _sqlite_stamp if sqlite else _same
        self.flag: Callable[[bool], Any] = int if sqlite else bool


def _same(dt: datetime | None) -> datetime | None:
    return dt


def _sqlite_stamp(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return (f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d} {dt.hour:02d}:{dt.minute:02d}:"
            f"{dt.second:02d}.{dt.microsecond:06d}")


def generate(county: County, n: int, *, start_id: int, now: datetime, days: int, seed: int,
             counters: dict[str, int], stamps: Stamps, chunk: int, events: bool = True) -> Iterator[Batch]:
    """N cases created evenly over the `days` before `now`, in chunks of `chunk`. `counters`
    (local day → last number) is read and moved on: the numbers continue each day's sequence."""
    rng = random.Random(seed)
    at, flag = stamps.at, stamps.flag
    points, cats, units, chats = county.points, county.categories, county.units, county.unit_chats
    span = days * 86400
    origin = now - timedelta(days=days)
    day_of: dict[int, date] = {}
    batch = Batch()
    for i in range(n):
        cid = start_id + i + 1
        created = origin + timedelta(seconds=span * (i + 1) / n)
        quarter = int(created.timestamp()) // 900  # every time zone's offset is in quarter hours
        local = day_of.get(quarter)
        if local is None:
            local = day_of[quarter] = created.astimezone(county.tz).date()
        day = f"{local:%Y%m%d}"
        seq = counters[day] = counters.get(day, 0) + 1
        status = rng.choice(STATUSES)
        grid_id, lat, lon = rng.choice(points)
        lat += (rng.random() - 0.5) * 0.0004  # within ~25 m of the point
        lon += (rng.random() - 0.5) * 0.0004
        cat = rng.choice(cats)
        unit = None if status == "triage" else rng.choice(units)
        dispatched = created + timedelta(minutes=rng.randint(1, 30)) if unit else None
        due = dispatched + timedelta(hours=rng.choice((2, 4, 24, 72))) if dispatched else None
        resolved = (dispatched + timedelta(hours=rng.random() * 80)
                    if dispatched and status in ("resolved", "verified", "closed") else None)
        closed = (resolved + timedelta(hours=rng.random() * 10)
                  if resolved and status == "closed" else None)
        text = "".join(rng.sample(WORDS, 3))
        rating = (rng.choice((None, "satisfied", "basically_satisfied", "unsatisfied"))
                  if status == "closed" else None)
        number = format_case_number(county.prefix, local, seq)
        c = at(created)
        batch.rows["cases"].append((
            cid, number, cat, text, status, None, rng.choice(("resident", "grid_worker")), "telegram",
            lat, lon, text[:6], grid_id, unit, flag(rng.random() < 0.03), 0, at(due), c, c,
            at(dispatched), None, None, at(resolved), at(closed), int(rng.random() < 0.05), 0, 0,
            flag(False), rating, round(rng.random(), 2), None, "[]", 0))
        if events:
            ev = batch.rows["case_events"]
            ev.append((cid, c, "reported", None, "resident", "telegram", None, "new", "", "{}"))
            if dispatched and due:
                data = json.dumps({"unit_id": unit, "due_at": due.isoformat()})
                ev.append((cid, at(dispatched), "dispatched", None, "system", "system", "new",
                           "dispatched", "", data))
            if resolved:
                ev.append((cid, at(resolved), "resolved", None, "unit_member", "telegram", "accepted",
                           "resolved", "已处置", "{}"))
            if closed:
                ev.append((cid, at(closed), "closed", None, "system", "system", "resolved", "closed",
                           "", json.dumps({"rating": rating}) if rating else "{}"))
        user = FIRST_CHAT_USER + rng.randrange(CHAT_USERS)
        msg = batch.rows["messages"]
        msg.append((cid, user, user, "in", "text", text, "[]", "{}", cid * 2, c))
        msg.append((cid, user, None, "out", "text", f"已受理，案件编号 {number}", "[]", "{}", cid * 2 + 1, c))
        batch.rows["chat_submissions"].append((user, rng.randrange(1, 2**31), cid, c))
        chat = chats.get(unit) if unit else None
        if dispatched and chat is not None:
            d = at(dispatched)
            batch.rows["outbox"].append((
                d, cid, chat, "unit_card", json.dumps({"case_id": cid, "action": "dispatched"}), "sent", 1,
                d, None, cid, d, 1))
        if len(batch.rows["cases"]) >= chunk:
            yield batch
            batch = Batch()
    if batch.rows["cases"]:
        yield batch


async def insert_cases(app: Any, n: int, *, seed: int = 1, days: int = 60, batch: int = 20_000,
                       events: bool = True, rebuild: bool | None = None) -> int:
    """Insert N generated cases (ids after the newest), `days` back from now, and analyse;
    returns N. `rebuild`: see `bulk_load.load_cases`."""
    from gridbot.bench.bulk_load import load_cases

    return await load_cases(app, n, seed=seed, days=days, chunk=batch, events=events, rebuild=rebuild)
