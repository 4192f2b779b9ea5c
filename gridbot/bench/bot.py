"""`gridbot bench bot`: N simulated residents report through the sandbox, the bot answers.

Two processes, as in production where Telegram is elsewhere: a driver (the sandbox Bot API
plus the simulated people, `gridbot/bench/bot_driver.py`) and this process (database, NLU, the
bot by long polling or a parent with worker processes, the relay). Each resident goes through
the whole flow — describe, confirm the place, skip photos, submit — and answers whatever the
bot asks, again and again: after a warm-up, a steady-state window of `duration` seconds is
measured (complete reports per second, reply latency, CPU per report of each side). The relay
delivers meanwhile under Telegram's limits; what it delivered in the window is reported on its
own line (unit cards per minute: a group takes 20 messages a minute). `bare` adds, in the same
run, a bare aiogram bot answering the same updates with the same Bot API calls and no work —
the ceiling of the channel on this machine. Everything is made in a temporary directory (and,
on PostgreSQL, a temporary database) removed at the end, also on an error or Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.pool import NullPool


@dataclass(frozen=True)
class BenchOptions:
    residents: int = 50
    duration: float = 30.0  # the measured window, seconds (0: `reports` per resident, all counted)
    warmup: float = 5.0
    reports: int = 4  # per resident, when duration is 0
    nlu: str = "model"  # or "fake" (keyword stub)
    database_url: str | None = None  # a PostgreSQL server: a temporary database is made on it
    redis_url: str | None = None
    workers: int = 1
    existing_cases: int = 0
    http_residents: bool = False
    bare: bool = False


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def _proc_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of a live process, from /proc; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Driver:
    """The driver process: start, GO, its result (read from a file), STOP."""

    def __init__(self, opts: BenchOptions, tmp: Path) -> None:
        self.opts = opts
        self.result_file = tmp / f"driver-{uuid.uuid4().hex[:8]}.json"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> tuple[str, str]:
        o = self.opts
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "gridbot.bench.bot_driver", str(self.result_file),
            "--residents", str(o.residents), "--reports", str(o.reports),
            "--duration", str(o.duration), "--warmup", str(o.warmup),
            *(["--http-residents"] if o.http_residents else []),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env={**os.environ},
        )
        ready = (await self._line()).split()
        if len(ready) != 3 or ready[0] != "READY":
            raise RuntimeError("the bench driver did not start")
        return ready[1], ready[2]

    async def _line(self) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        return (await self.proc.stdout.readline()).decode(errors="replace").strip()

    async def say(self, word: str) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(word.encode() + b"\n")
        await self.proc.stdin.drain()

    async def result(self) -> dict[str, Any]:
        while (line := await self._line()) != "RESULT":
            if not line and self.proc is not None and self.proc.stdout is not None \
                    and self.proc.stdout.at_eof():
                raise RuntimeError("the bench driver stopped without a result")
        return dict(json.loads(self.result_file.read_text(encoding="utf-8")))

    async def close(self) -> None:
        """STOP, then make sure it is gone."""
        if self.proc is None:
            return
        if self.proc.returncode is None:
            with contextlib.suppress(OSError):  # its stdin may be closed already
                await self.say("STOP")
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except TimeoutError:
                self.proc.kill()
        await self.proc.wait()


class _CpuWindow:
    """CPU seconds of this process and of the bot's worker processes over the window."""

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        self.pids = pids
        self.start = self.end = 0.0

    def _now(self) -> float:
        return time.process_time() + sum(_proc_cpu_s(p) for p in self.pids())

    async def measure(self, warmup: float, duration: float, done: asyncio.Future[Any]) -> None:
        await asyncio.sleep(warmup)
        self.start = self._now()
        if duration > 0:
            await asyncio.sleep(duration)
        else:
            await asyncio.shield(done)
        self.end = self._now()


@contextlib.asynccontextmanager
async def _temporary_postgres(server_url: str) -> AsyncIterator[str]:
    """A new empty database on this PostgreSQL server, dropped on the way out."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    from dispatch.db.db import normalise_url

    url = make_url(normalise_url(server_url))
    name = f"gridbot_bench_{uuid.uuid4().hex[:10]}"
    server = create_async_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with server.connect() as conn:
            await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            async with server.connect() as conn:
                await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await server.dispose()


async def _bench(opts: BenchOptions, echo: Callable[[str], None]) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="gridbot-bench-"))
    try:
        async with contextlib.AsyncExitStack() as stack:
            url = opts.database_url or f"sqlite+aiosqlite:///{tmp / 'bench.sqlite3'}"
            if not url.startswith("sqlite"):
                url = await stack.enter_async_context(_temporary_postgres(url))
            result = await _bench_bot(opts, url, tmp, echo)
        if opts.bare:
            from gridbot.bench.bot_bare import bench_bare

            driver = _Driver(opts, tmp)
            try:
                result["bare"] = await bench_bare(driver, opts, _CpuWindow(lambda: []), echo)
            finally:
                await driver.close()
            summarise_bare(result)
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


async def _forget_residents(redis_url: str | None, residents: int) -> None:
    """Remove the simulated residents' conversation state from Redis (aiogram's keys
    `fsm:<chat>:<user>:…`): a run must not start in the states a previous run left — the
    residents' ids are the same every time — and leaves nothing behind."""
    if not redis_url:
        return
    from redis.asyncio import Redis

    from gridbot.bench.bot_driver import FIRST_RESIDENT

    ours = range(FIRST_RESIDENT, FIRST_RESIDENT + residents)
    client = Redis.from_url(redis_url)
    try:
        keys = []
        async for key in client.scan_iter(match="fsm:*", count=1000):
            chat = key.split(b":")[1]
            if chat.isdigit() and int(chat) in ours:
                keys.append(key)
        for i in range(0, len(keys), 1000):
            await client.delete(*keys[i:i + 1000])
    finally:
        await client.aclose()


async def _bench_bot(opts: BenchOptions, url: str, tmp: Path, echo: Callable[[str], None]) -> dict[str, Any]:
    from bot.runtime import build_runtime
    from dispatch.settings import Settings
    from gridbot.bootstrap import bootstrap
    from gridbot.processes.launch import ensure_demo_loaded, load_nlu
    from gridbot.processes.shards import check_workers

    # The simulated residents act as soon as the bot answers (~10 actions/s each), faster
    # than the flood limit (bot/flood.py) lets any person: it is off here.
    settings = Settings(
        GRIDBOT_DATA_DIR=tmp, GRIDBOT_DATABASE_URL=url, GRIDBOT_REDIS_URL=opts.redis_url,
        GRIDBOT_FLOOD_BURST=0,
    )
    check_workers(opts.workers, url)
    driver = _Driver(opts, tmp)
    app = await bootstrap(settings)
    sharded: Any = None
    runtime: Any = None
    try:
        api, token = await driver.start()
        await _forget_residents(opts.redis_url, opts.residents)
        await ensure_demo_loaded(app)
        seeded_s = await _seed(app, opts.existing_cases, echo)
        nlu_kind = opts.nlu
        if nlu_kind == "model":
            try:
                nlu = load_nlu(app)
            except Exception as exc:
                echo(f"note: {exc}; using the keyword stub")
                nlu_kind, nlu = "fake", KeywordNlu()
        else:
            nlu = KeywordNlu()
        runtime = build_runtime(app, nlu, token=token, api_base=api, channel="sandbox")
        sharded = await _start_bot(runtime, opts.workers, settings, token, api, nlu_kind)
        echo(
            f"bench: {opts.residents} residents, "
            + (f"{opts.warmup:g} s warm-up + {opts.duration:g} s measured" if opts.duration > 0
               else f"{opts.reports} reports each")
            + f", NLU {nlu_kind}, {url.split(':')[0]}{' + Redis' if opts.redis_url else ''}, "
            f"{opts.workers} bot worker{'s' if opts.workers > 1 else ''}, "
            f"{opts.existing_cases:,} existing cases"
        )
        pids = (lambda: [w.proc.pid for w in sharded.pool.workers if w.proc is not None]) if sharded else list
        cpu = _CpuWindow(pids)
        finished: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        meter = asyncio.create_task(cpu.measure(opts.warmup if opts.duration > 0 else 0.0, opts.duration,
                                                finished))
        w0 = datetime.now(UTC)
        await driver.say("GO")
        raw = await driver.result()
        finished.set_result(None)
        await meter
        if opts.duration > 0:
            w0 += timedelta(seconds=opts.warmup)
        delivered = await _delivered(app, w0, w0 + timedelta(seconds=raw["window_s"]))
        shard_stats = sharded.pool.stats() if sharded is not None else None
        cases, messages = await _counts(app)
    finally:
        if sharded is not None:
            await sharded.stop()
        if runtime is not None:
            await runtime.stop()
        await app.close()
        await driver.close()
        await _forget_residents(opts.redis_url, opts.residents)
    return _summary(opts, nlu_kind, url, raw, (cpu.end - cpu.start), delivered, cases, messages,
                    seeded_s, shard_stats)


async def _seed(app: Any, n: int, echo: Callable[[str], None]) -> float | None:
    """N historical cases, 1,000 a day back from now (bulk inserts), before the bot starts."""
    if n <= 0:
        return None
    from gridbot.bench.synthetic_cases import insert_cases

    echo(f"seeding {n:,} existing cases…")
    t0 = time.perf_counter()
    await insert_cases(app, n, days=max(1, n // 1000), batch=20_000)
    took = time.perf_counter() - t0
    echo(f"seeded {n:,} existing cases in {took:.1f} s ({n / max(took, 1e-9):,.0f} cases/s, analysed)")
    return took


async def _delivered(app: Any, since: datetime, until: datetime) -> dict[str, int]:
    """Outbox rows the relay delivered in the window, to groups (unit cards) and to people,
    and the rows still waiting at its end."""
    from sqlalchemy import case, func, select

    from dispatch.db.orm import OutboxRow

    o = OutboxRow
    in_window = (o.state == "sent") & (o.sent_at >= since) & (o.sent_at <= until)
    async with app.uow() as uow:
        row = (await uow.session.execute(select(
            func.count(case((in_window & (o.chat_id < 0), 1))),
            func.count(case((in_window & (o.chat_id > 0), 1))),
            func.count(case((o.state == "pending", 1))),
        ))).one()
    return {"group_cards": int(row[0]), "private": int(row[1]), "pending_after": int(row[2])}


async def _counts(app: Any) -> tuple[int, int]:
    from sqlalchemy import func, select

    from dispatch.db.orm import CaseRow, MessageRow

    async with app.uow() as uow:
        cases = int(await uow.session.scalar(select(func.count()).select_from(CaseRow)) or 0)
        messages = int(await uow.session.scalar(select(func.count()).select_from(MessageRow)) or 0)
    return cases, messages


def _summary(opts: BenchOptions, nlu_kind: str, url: str, raw: dict[str, Any], bot_cpu: float,
             delivered: dict[str, int], cases: int, messages: int, seeded_s: float | None,
             shards: dict[str, Any] | None) -> dict[str, Any]:
    window = raw["window_s"]
    done = raw["complete"]
    per = 1e3 / max(1, done)
    lat = raw["latencies"]
    return {
        "residents": opts.residents,
        "nlu": nlu_kind,
        "residents_via": "http" if opts.http_residents else "in-process",
        "database": url.split(":")[0],
        "redis": bool(opts.redis_url),
        "bot_workers": opts.workers,
        "existing_cases": opts.existing_cases,
        "seeding_s": None if seeded_s is None else round(seeded_s, 1),
        "seeding_cases_per_s": None if not seeded_s else round(opts.existing_cases / seeded_s),
        "warmup_s": opts.warmup if opts.duration > 0 else 0.0,
        "window_s": round(window, 2),
        "complete_reports": done,
        "complete_reports_total": raw["complete_total"],
        "failed": raw["failed"],
        "reports_per_s": round(done / window, 1) if window else 0.0,
        "replies": len(lat),
        "latency_ms": {
            "p50": round(_pct(lat, 0.5) * 1e3, 1),
            "p95": round(_pct(lat, 0.95) * 1e3, 1),
            "max": round(max(lat) * 1e3, 1) if lat else None,
            "mean": round(statistics.fmean(lat) * 1e3, 1) if lat else None,
        },
        "cpu_ms_per_report": {
            "bot": round(bot_cpu * per, 2),  # this process (+ workers): handlers and the relay
            "sandbox_and_residents": round(raw["cpu_s"] * per, 2),
        },
        "bot_api_calls_per_report": {
            k: round(v / max(1, raw["complete_total"]), 2) for k, v in sorted(raw["sandbox_calls"].items())
        },
        "delivery": {
            "group_cards_per_min": round(delivered["group_cards"] * 60 / window, 1) if window else 0.0,
            "private_per_s": round(delivered["private"] / window, 1) if window else 0.0,
            "group_cards_in_window": delivered["group_cards"],
            "private_in_window": delivered["private"],
            "pending_after_window": delivered["pending_after"],
        },
        "cases_in_db": cases,
        "transcript_rows": messages,
        "shards": shards,
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


def summarise_bare(r: dict[str, Any]) -> None:
    bare = r["bare"]
    rate, cpu = bare["reports_per_s"], bare["cpu_ms_per_report"]["bot"]
    r["bare_ratio"] = {
        "reports_per_s": round(r["reports_per_s"] / rate, 3) if rate else None,
        "cpu_per_report": round(r["cpu_ms_per_report"]["bot"] / cpu, 2) if cpu else None,
    }


def run_bench(opts: BenchOptions, echo: Callable[[str], None] = print) -> dict[str, Any]:
    return asyncio.run(_bench(opts, echo))


def print_result(r: dict[str, Any], echo: Callable[[str], None] = print) -> None:
    lat, cpu, d = r["latency_ms"], r["cpu_ms_per_report"], r["delivery"]
    rows = [
        ("setup", f"{r['database']}{' + Redis' if r['redis'] else ''}, {r['bot_workers']} worker(s), "
                  f"{r['residents']} residents, NLU {r['nlu']}, {r['existing_cases']:,} existing cases"),
        ("window", f"{r['window_s']} s after {r['warmup_s']:g} s warm-up"),
        ("complete reports", f"{r['complete_reports']} in the window ({r['failed']} failed in all)"),
        ("reports/s", f"{r['reports_per_s']}"),
        ("reply latency", f"p50 {lat['p50']} ms, p95 {lat['p95']} ms, max {lat['max']} ms "
                          f"({r['replies']} replies)"),
        ("CPU per report", f"bot {cpu['bot']} ms (handlers and relay), sandbox + residents "
                           f"{cpu['sandbox_and_residents']} ms"),
        ("delivery", f"{d['group_cards_per_min']} unit cards/min (group limit 20/min per group), "
                     f"{d['private_per_s']} notices/s to people; {d['pending_after_window']} waiting after"),
        ("database", f"{r['cases_in_db']:,} cases, {r['transcript_rows']:,} transcript rows"),
    ]
    if r.get("seeding_s"):
        rows.append(("seeding", f"{r['existing_cases']:,} cases in {r['seeding_s']} s "
                                f"({r['seeding_cases_per_s']:,} cases/s)"))
    if "bare" in r:
        b = r["bare"]
        rows += [
            ("bare aiogram", f"{b['reports_per_s']} reports/s, p95 {b['latency_ms']['p95']} ms, "
                             f"CPU {b['cpu_ms_per_report']['bot']} ms per report"),
            ("gridbot / bare", f"throughput {r['bare_ratio']['reports_per_s']}, CPU per report "
                               f"{r['bare_ratio']['cpu_per_report']}×"),
        ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        echo(f"{k:<{width}}  {v}")


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
