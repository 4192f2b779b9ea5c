"""`gridbot bench bot`: N simulated residents report through the sandbox, the bot answers.

Two processes, as in production where Telegram is elsewhere: a driver (the sandbox Bot API
plus the simulated people, `python -m gridbot.bench.bot driver`) and this process (database, NLU,
the bot by long polling, the relay). Each resident goes through the whole flow — describe,
confirm the place, skip photos, submit — and answers whatever the bot asks (a category
question, a location prompt). Measured: complete reports per second over the run, and the
bot's reply latency (a person's action → the bot's next message), p50 / p95 / max."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

FIRST_RESIDENT = 700_000
TEMPLATES = [  # (text with {place}, a keyword the fake NLU knows)
    "{place}门口有人占道摆摊卖水果",
    "{place}旁边垃圾桶满了好几天没人清运",
    "{place}路边有个井盖坏了很危险",
    "{place}那边有人乱停车把人行道堵了",
    "{place}晚上广场舞音响太吵了",
    "{place}附近下水道堵了污水外溢",
    "{place}有商户把货物摆到人行道上",
    "{place}墙上贴满了小广告",
]


# ------------------------------------------------------------------------------- the driver side
class Resident:
    """One simulated person, acting on the sandbox's world in-process.

    The simulated people are the load generator, not the system under test: they call
    the sandbox's world directly (what the web chat page's HTTP endpoints call) and wait
    on its event log, so their cost stays out of the measurement as far as possible. The
    bot under test still reaches the sandbox only over HTTP, through aiogram's client.
    `--http-residents` makes them go through the page's HTTP API instead."""

    def __init__(self, world: Any, client: Any, user_id: int) -> None:
        self.world = world
        self.client = client  # None: in-process
        self.user_id = user_id
        self.since = 0
        self.queue: list[dict[str, Any]] = []

    async def act(self, path: str, **body: Any) -> None:
        if self.client is not None:
            _, seq = await self.client.request_seq(
                "POST", path, json={"user_id": self.user_id, "chat_id": self.user_id, **body}
            )
        else:
            uid = self.user_id
            if path == "messages":
                self.world.user_sends(uid, uid, {"text": body["text"]})
            elif path == "locations":
                location = {"latitude": body["latitude"], "longitude": body["longitude"]}
                self.world.user_sends(uid, uid, {"location": location})
            elif path == "press":
                self.world.press(uid, uid, int(body["message_id"]), data=body["callback_data"])
            else:
                raise ValueError(path)
            seq = self.world.events.seq
        self.since = max(self.since, seq)
        self.queue.clear()

    async def _events(self, timeout: float) -> list[dict[str, Any]]:
        if self.client is not None:
            result = await self.client.request(
                "GET",
                "events",
                params={"since": str(self.since), "chat_id": str(self.user_id), "timeout": f"{timeout:.2f}"},
            )
            return list(result["events"])
        from tgsandbox.events import chat_key

        events, _ = await self.world.events.wait(self.since, [chat_key(self.user_id)], timeout)
        return events

    async def next_message(self, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            while self.queue:
                event = self.queue.pop(0)
                message = event.get("message") or {}
                if event["type"] == "message" and message.get("from", {}).get("is_bot"):
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"resident {self.user_id}: no answer")
            for event in await self._events(min(remaining, 20.0)):
                if event["seq"] > self.since:
                    self.since = event["seq"]
                    self.queue.append(event)


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def one_report(
    r: Resident, text: str, place: str, point: tuple[float, float], latencies: list[float]
) -> bool:
    """The whole conversation for one report; True when the bot gave a case number."""

    async def step(path: str, **body: Any) -> dict[str, Any]:
        t0 = time.perf_counter()
        await r.act(path, **body)
        m = await r.next_message()
        latencies.append(time.perf_counter() - t0)
        return m

    m = await step("messages", text=text)
    for _ in range(12):
        t = m.get("text") or m.get("caption") or ""
        if "编号" in t:
            return True
        if "请选择最接近的一项" in t:
            b = _buttons(m)[0]
            m = await step("press", message_id=m["message_id"], callback_data=b["callback_data"])
        elif "识别到地点" in t:
            m = await step("messages", text=f"就在{place}")
        elif "问题在哪里" in t:
            m = await step("locations", latitude=point[0], longitude=point[1])
        elif "现场照片" in t:
            m = await step("messages", text="跳过")
        elif "请核对" in t:
            b = next(b for b in _buttons(m) if b["text"].endswith("提交"))
            m = await step("press", message_id=m["message_id"], callback_data=b["callback_data"])
        else:  # an acknowledgement ("已定位到…", the emergency warning): read on
            m = await r.next_message()
    return False


def places_of(geojson: dict[str, Any]) -> list[tuple[str, tuple[float, float]]]:
    """Landmarks named in exactly one unit grid, with their points."""
    seen: dict[str, list[tuple[float, float]]] = {}
    for f in geojson["features"]:
        for p in f["properties"].get("places") or []:
            if p.get("lat") is not None:
                seen.setdefault(p["name"], []).append((p["lat"], p["lon"]))
    return [(name, pts[0]) for name, pts in sorted(seen.items()) if len(pts) == 1 and len(name) >= 3]


async def drive(residents: int, reports: int, http_residents: bool = False) -> None:
    from gridbot.demo import DEMO_DIR
    from tgsandbox.client import SandboxClient
    from tgsandbox.demo import demo_world
    from tgsandbox.server import start_sandbox

    world = demo_world(DEMO_DIR)
    places = places_of(world["geojson"])
    world["users"] += [
        {"id": FIRST_RESIDENT + i, "first_name": f"居民{i}", "roles": ["resident"], "started": True}
        for i in range(residents)
    ]
    handle = await start_sandbox("127.0.0.1", 0, **world)
    print(f"READY {handle.url} {handle.token}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # GO
    cpu0 = time.process_time()
    latencies: list[float] = []
    done = failed = 0
    async with SandboxClient(handle.url) as client:

        async def person(i: int) -> None:
            nonlocal done, failed
            r = Resident(handle.world, client if http_residents else None, FIRST_RESIDENT + i)
            for k in range(reports):
                n = i * reports + k
                place, point = places[(n * 7) % len(places)]
                text = TEMPLATES[n % len(TEMPLATES)].format(place=place)
                try:
                    ok = await one_report(r, text, place, point, latencies)
                except Exception as exc:  # a stuck conversation counts as a failure
                    print(f"resident {i}: {exc}", file=sys.stderr, flush=True)
                    ok = False
                done, failed = done + ok, failed + (not ok)

        t0 = time.perf_counter()
        await asyncio.gather(*(person(i) for i in range(residents)))
        wall = time.perf_counter() - t0
        stats = await client.stats()
    print(
        "RESULT "
        + json.dumps(
            {
                "wall_s": wall,
                "complete": done,
                "failed": failed,
                "latencies": latencies,
                "sandbox_calls": stats.get("calls", {}),
                "cpu_s": time.process_time() - cpu0,
            }
        ),
        flush=True,
    )
    # Keep serving the Bot API until the bot side has drained its outbox.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # STOP
    await handle.close()


# ------------------------------------------------------------------------------- the bot side
def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


async def _bench(
    residents: int,
    reports: int,
    nlu_kind: str,
    database_url: str | None,
    echo: Callable[[str], None],
    http_residents: bool = False,
    workers: int = 1,
) -> dict[str, Any]:
    from bot.runtime import build_runtime
    from dispatch.settings import Settings
    from gridbot.bootstrap import bootstrap
    from gridbot.processes.launch import ensure_demo_loaded, load_nlu
    from gridbot.processes.shards import check_workers

    tmp = Path(tempfile.mkdtemp(prefix="gridbot-bench-"))
    url = database_url or f"sqlite+aiosqlite:///{tmp / 'bench.sqlite3'}"
    # The simulated residents act as soon as the bot answers (~10 actions/s each), faster
    # than the flood limit (bot/flood.py) lets any person: it is off here.
    settings = Settings(
        GRIDBOT_DATA_DIR=tmp, GRIDBOT_DATABASE_URL=url, GRIDBOT_REDIS_URL=None, GRIDBOT_FLOOD_BURST=0
    )
    check_workers(workers, url)
    driver = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gridbot.bench.bot",
        "driver",
        str(residents),
        str(reports),
        *(["--http-residents"] if http_residents else []),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ},
    )
    assert driver.stdout is not None and driver.stdin is not None
    ready = (await driver.stdout.readline()).decode().split()
    if not ready or ready[0] != "READY":
        raise RuntimeError("the bench driver did not start")
    api, token = ready[1], ready[2]
    app = await bootstrap(settings)
    sharded: Any = None
    try:
        await ensure_demo_loaded(app)
        if nlu_kind == "model":
            try:
                nlu = load_nlu(app)
            except Exception as exc:
                echo(f"note: {exc}; using the keyword stub")
                nlu_kind, nlu = "fake", KeywordNlu()
        else:
            nlu = KeywordNlu()
        runtime = build_runtime(app, nlu, token=token, api_base=api, channel="sandbox")
        sharded = await _start_bot(runtime, workers, settings, token, api, nlu_kind)
        echo(
            f"bench: {residents} residents × {reports} reports, NLU {nlu_kind}, {url.split(':')[0]}, "
            f"{workers} bot worker{'s' if workers > 1 else ''}"
        )
        cpu0 = time.process_time()
        driver.stdin.write(b"GO\n")
        await driver.stdin.drain()
        line = b""
        while not line.startswith(b"RESULT "):
            line = await driver.stdout.readline()
            if not line:
                raise RuntimeError("the bench driver stopped without a result")
        raw = json.loads(line[len(b"RESULT ") :])
        bot_cpu = time.process_time() - cpu0
        if sharded is not None:  # the workers' CPU is known once they have exited
            await sharded.stop()
            bot_cpu += sharded.pool.cpu_s
        drain = await _drain(app, runtime)  # the relay delivers the last cards to the units
        driver.stdin.write(b"STOP\n")
        await driver.stdin.drain()
        relay = runtime.relay.stats
        async with app.uow() as uow:
            from sqlalchemy import func, select

            from dispatch.db.orm import CaseRow, MessageRow

            cases = int(await uow.session.scalar(select(func.count()).select_from(CaseRow)) or 0)
            messages = int(await uow.session.scalar(select(func.count()).select_from(MessageRow)) or 0)
        await runtime.stop()
    finally:
        if sharded is not None:
            await sharded.stop()
        await app.close()
        if driver.returncode is None:
            driver.kill()
        await driver.wait()

    driver_cpu = raw["cpu_s"]  # from GO to its result
    per = 1e3 / max(1, raw["complete"])
    lat = raw["latencies"]
    return {
        "residents": residents,
        "reports_per_resident": reports,
        "nlu": nlu_kind,
        "residents_via": "http" if http_residents else "in-process",
        "database": url.split(":")[0],
        "bot_workers": workers,
        "complete_reports": raw["complete"],
        "failed": raw["failed"],
        "wall_s": round(raw["wall_s"], 3),
        "reports_per_s": round(raw["complete"] / raw["wall_s"], 1) if raw["wall_s"] else 0.0,
        "replies": len(lat),
        "latency_ms": {
            "p50": round(_pct(lat, 0.5) * 1e3, 1),
            "p95": round(_pct(lat, 0.95) * 1e3, 1),
            "max": round(max(lat) * 1e3, 1) if lat else None,
            "mean": round(statistics.fmean(lat) * 1e3, 1) if lat else None,
        },
        "bot_api_calls_per_report": {
            k: round(v / max(1, raw["complete"]), 2) for k, v in sorted(raw.get("sandbox_calls", {}).items())
        },
        "cases_in_db": cases,
        "transcript_rows": messages,
        "relay_drain_s": round(drain, 2),
        "cpu_ms_per_report": {
            "bot": round(bot_cpu * per, 1),
            "sandbox_and_residents": round(driver_cpu * per, 1),  # the driver, GO to result
        },
        "shards": None
        if sharded is None
        else {
            **sharded.pool.stats(),
            "worker_cpu_s": [round(w.cpu_s - w.ready_cpu_s, 2) for w in sharded.pool.workers],
            "worker_startup_cpu_s": [round(w.ready_cpu_s, 2) for w in sharded.pool.workers],
        },
        "relay": {
            "sent": relay.sent,
            "skipped": relay.skipped,
            "retried": relay.retried,
            "failed": relay.failed,
        },
    }


async def _start_bot(runtime: Any, workers: int, settings: Any, token: str, api: str, nlu_kind: str) -> Any:
    """One process polling and handling (workers=1), or a parent and worker processes."""
    from bot.runtime import settle_heap

    if workers <= 1:
        await runtime.start()
        settle_heap()
        return None
    from gridbot.processes.shard_intake import ShardedBot

    sharded = await ShardedBot.start(
        runtime, workers, settings=settings, token=token, api_base=api, channel="sandbox", nlu=nlu_kind
    )
    settle_heap()
    return sharded


async def _drain(app: Any, runtime: Any, limit_s: float = 30.0) -> float:
    """Seconds until no outbox row is pending any more (the units got every card)."""
    from sqlalchemy import func, select

    from dispatch.db.orm import OutboxRow

    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit_s:
        async with app.uow() as uow:
            pending = await uow.session.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.state == "pending")
            )
        if not pending:
            break
        runtime.relay.kick()
        await asyncio.sleep(0.05)
    return time.perf_counter() - t0


def run_bench(
    *,
    residents: int = 50,
    reports: int = 4,
    nlu: str = "model",
    database_url: str | None = None,
    echo: Callable[[str], None] = print,
    http_residents: bool = False,
    workers: int = 1,
) -> dict[str, Any]:
    return asyncio.run(_bench(residents, reports, nlu, database_url, echo, http_residents, workers))


def print_result(r: dict[str, Any], echo: Callable[[str], None] = print) -> None:
    lat = r["latency_ms"]
    echo(
        f"complete reports: {r['complete_reports']} ({r['failed']} failed) in {r['wall_s']} s "
        f"→ {r['reports_per_s']} reports/s"
    )
    echo(
        f"bot reply latency ({r['replies']} replies): p50 {lat['p50']} ms, p95 {lat['p95']} ms, "
        f"max {lat['max']} ms"
    )
    echo(
        f"relay: {r['relay']['sent']} sent, {r['relay']['skipped']} skipped, {r['relay']['failed']} failed; "
        f"outbox drained {r['relay_drain_s']} s after the last reply"
    )
    echo(f"database ({r['database']}): {r['cases_in_db']} cases, {r['transcript_rows']} transcript rows")
    cpu = r["cpu_ms_per_report"]
    echo(
        f"CPU per report: bot process {cpu['bot']} ms, sandbox + simulated residents "
        f"{cpu['sandbox_and_residents']} ms (during the run)"
    )


class KeywordNlu:
    """A stand-in when no model is installed: keywords → category (for the benchmark only)."""

    RULES = [
        ("摆摊", "street_vending"),
        ("垃圾", "garbage"),
        ("井盖", "road_facility"),
        ("乱停车", "illegal_parking"),
        ("太吵", "noise"),
        ("下水道", "drainage"),
        ("货物", "shopfront_encroachment"),
        ("小广告", "illegal_ads"),
    ]

    def predict(self, text: str) -> Any:
        from types import SimpleNamespace

        for needle, cat in self.RULES:
            if needle in text:
                return SimpleNamespace(
                    intent="report",
                    category=cat,
                    confidence=0.9,
                    emergency=False,
                    entities=[],
                    ranking=[(cat, 0.9)],
                )
        return SimpleNamespace(
            intent="chitchat", category=None, confidence=0.5, emergency=False, entities=[], ranking=[]
        )


if __name__ == "__main__" and len(sys.argv) >= 4 and sys.argv[1] == "driver":
    asyncio.run(drive(int(sys.argv[2]), int(sys.argv[3]), "--http-residents" in sys.argv[4:]))
