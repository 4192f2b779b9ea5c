"""`gridbot bench proof`: the production path under load and faults, then an account of every
report and every notification.

The layout of a county's deployment, on this machine: PostgreSQL and Redis (servers of the run's
own, `proof_services.py`), two webhook workers (`gridbot run --webhook`'s code: the bot's
handlers, Redis FSM) behind a load balancer, and one outbox relay process. The sandbox Bot API
posts updates to the balancer as Telegram would, fails a share of all Bot API calls (429 with
retry_after, 500, connections dropped before and after the call ran) and hosts the simulated
residents (`gridbot/bench/bot.py`'s), who report and, like people, send the same thing again
when the bot does not answer.

Meanwhile a supervisor kills a worker and the relay with SIGKILL at random moments (and starts
them again, as systemd or Docker would), and PostgreSQL and Redis are each restarted.

Then the account:
* every report a resident was told was accepted (a case number) is in the database exactly
  once, with the resident's text;
* every notification (outbox row) is delivered; the unit cards are counted in the units'
  groups: duplicates in total, those after a lost Bot API answer (the Bot API has no
  idempotency key), and those each relay kill caused, counted right after the kill."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def _residents_module() -> Any:
    """The simulated residents of `gridbot bench bot` (`bot_driver.py` where the driver has a
    module of its own, `bot.py` before)."""
    from importlib import import_module
    from importlib.util import find_spec

    name = "gridbot.bench.bot_driver" if find_spec("gridbot.bench.bot_driver") else "gridbot.bench.bot"
    return import_module(name)


_residents = _residents_module()
FIRST_RESIDENT: int = _residents.FIRST_RESIDENT
TEMPLATES: list[str] = _residents.TEMPLATES
Resident: Any = _residents.Resident
_buttons: Callable[[dict[str, Any]], list[dict[str, Any]]] = _residents._buttons
places_of: Callable[[dict[str, Any]], list[tuple[str, tuple[float, float]]]] = _residents.places_of

SECRET = "proof-webhook-secret"
WEBHOOK_PATH = "/telegram"
CASE_NUMBER = re.compile(r"编号\s*([A-Za-z0-9-]+)")


@dataclass
class ProofConfig:
    reports: int = 300
    residents: int = 30
    worker_kills: int = 1
    relay_kills: int = 1
    postgres_restarts: int = 1
    redis_restarts: int = 1
    fault_rate: float = 0.20  # of all Bot API calls: 35 % 429, 30 % 500, 25 % dropped, 10 % after
    seed: int = 1
    relay_per_second: float = 30.0  # Telegram's overall limit
    claim_ttl_s: float = 5.0  # a killed relay's rows come back after this (production: 2 minutes)
    answer_timeout_s: float = 30.0  # a resident without an answer this long sends again
    give_up_s: float = 240.0  # a resident gives up a report after this long
    drain_timeout_s: float = 1800.0


@dataclass
class Told:
    """What one report came to, from the resident's side."""

    resident: int
    text: str
    number: str | None = None
    resends: int = 0
    restarts: int = 0


# ------------------------------------------------------------------ the processes under test
def _env(db_url: str, redis_url: str, api: str, token: str, data_dir: Path) -> dict[str, str]:
    root = str(Path(__file__).resolve().parents[2])
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p),
        "GRIDBOT_DATABASE_URL": db_url,
        "GRIDBOT_REDIS_URL": redis_url,
        "GRIDBOT_DATA_DIR": str(data_dir),
        "TELEGRAM_BOT_TOKEN": token,
        "GRIDBOT_TELEGRAM_API": api,
        "GRIDBOT_WEBHOOK_SECRET": SECRET,
        # The simulated residents act as soon as the bot answers, faster than the flood
        # limit (bot/flood.py) lets a person: it is off, as in `gridbot bench bot`.
        "GRIDBOT_FLOOD_BURST": "0",
    }


async def worker_main(webhook: str, listen: str) -> None:
    """One webhook worker: `gridbot run --webhook` without the relay (its own process here)."""
    from bot.runtime import build_runtime, serve_webhook
    from dispatch.settings import Settings
    from gridbot.bootstrap import bootstrap
    from gridbot.processes.launch import load_nlu

    settings = Settings()
    assert settings.telegram_bot_token is not None
    app = await bootstrap(settings, migrate=False)
    runtime = build_runtime(
        app, load_nlu(app), token=settings.telegram_bot_token.get_secret_value(),
        api_base=settings.telegram_api, channel="telegram",
    )
    await serve_webhook(runtime, webhook, listen, SECRET, relay=False)


async def relay_main(per_second: float, ttl_s: float) -> None:
    """The outbox relay alone: Telegram's overall limit, the per-chat limits lifted (the demo
    county has a dozen unit groups; a real one has hundreds, each within 20 a minute)."""
    from datetime import timedelta

    from bot.delivery.relay import OutboxRelay
    from bot.deps import WriteGate
    from bot.ratelimit import Limits, SendLimiter
    from bot.runtime import make_bot, pin_response_models
    from dispatch.settings import Settings
    from gridbot.bootstrap import bootstrap

    pin_response_models()
    settings = Settings()
    assert settings.telegram_bot_token is not None
    app = await bootstrap(settings, migrate=False)
    url = settings.effective_database_url
    limits = Limits(global_per_second=per_second, global_burst=max(1, int(per_second)),
                    private_per_second=1000, private_burst=1000, group_per_minute=60000, group_burst=1000)
    bot = make_bot(settings.telegram_bot_token.get_secret_value(), settings.telegram_api)
    relay = OutboxRelay(app, bot, WriteGate.for_url(url), limiter=SendLimiter(limits))
    relay.ttl = timedelta(seconds=ttl_s)
    relay.idle_s = 0.2
    print("ready", flush=True)
    await relay.run()


class Supervised:
    """A child process started again after it dies, as a supervisor would."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path,
                 port: int | None = None) -> None:
        self.name, self.argv, self.env, self.port = name, argv, env, port
        self.log = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115 - open for the run
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gridbot.bench.proof", *self.argv],
            env=self.env, stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL,
        )
        self.starts += 1

    async def ready(self, timeout: float = 120.0) -> None:
        """Listening (a worker) or running (the relay)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode} (see {self.log.name})")
            if self.port is None or await _listening(self.port):
                return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start within {timeout:.0f} s")

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


async def _listening(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    return True


class Balancer:
    """The reverse proxy in front of the webhook workers: round robin; a worker that does not
    accept the connection is skipped (as nginx does). An update whose post fails otherwise is
    answered 502, and the Bot API posts it again later."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.turn = 0
        self.posts: Counter[str] = Counter()
        self._session: Any = None

    async def handle(self, request: Any) -> Any:
        import aiohttp
        from aiohttp import web

        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        body = await request.read()
        keep = ("content-type", "x-telegram")
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith(keep)}
        for _ in self.ports:
            port = self.ports[self.turn % len(self.ports)]
            self.turn += 1
            try:
                async with self._session.post(f"http://127.0.0.1:{port}{WEBHOOK_PATH}", data=body,
                                              headers=headers) as resp:
                    self.posts[str(resp.status)] += 1
                    return web.Response(status=resp.status, body=await resp.read())
            except aiohttp.ClientConnectorError:
                self.posts["refused"] += 1
                continue
            except (aiohttp.ClientError, TimeoutError):
                self.posts["broken"] += 1
                return web.Response(status=502)
        return web.Response(status=502)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


# --------------------------------------------------------------------------- the residents
def _said(m: dict[str, Any]) -> str:
    return str(m.get("text") or m.get("caption") or "")


async def next_reply(r: Any, timeout: float) -> dict[str, Any]:
    """The bot's next message or callback answer (an alert) to this resident."""
    deadline = time.monotonic() + timeout
    while True:
        while r.queue:
            event = r.queue.pop(0)
            message = event.get("message") or {}
            if event["type"] == "message" and message.get("from", {}).get("is_bot"):
                return message
            if event["type"] == "callback_answer" and event.get("text"):
                return {"alert": event["text"]}
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"resident {r.user_id}: no answer")
        for event in await r._events(remaining):
            if event["seq"] > r.since:
                r.since = event["seq"]
                r.queue.append(event)


async def report(r: Any, told: Told, place: str, point: tuple[float, float], cfg: ProofConfig,
                 numbers: set[str]) -> None:
    """One report, as a person makes it: answer what the bot asks; no answer for a while → send
    the same again; the same three times unanswered, or the card has expired → /cancel and
    start over. Sets `told.number` when the bot gives a case number after [提交] (one it has
    not given this resident before: a late answer to an earlier report is not this one's)."""
    start: tuple[str, dict[str, Any]] = ("messages", {"text": told.text})
    last = start
    card: dict[str, Any] | None = None
    unanswered = 0
    submitted = False

    async def over() -> None:
        nonlocal last, unanswered, submitted
        told.restarts += 1
        await r.act("messages", text="/cancel")
        last, unanswered, submitted = start, 0, False
        await r.act(start[0], **start[1])

    await r.act(start[0], **start[1])
    deadline = time.monotonic() + cfg.give_up_s
    act = r.act

    async def press_or_over(path: str, **body: Any) -> None:
        """A button the message no longer has (the card was edited meanwhile): start over."""
        try:
            await act(path, **body)
        except Exception as exc:
            if getattr(exc, "status", None) != 404:
                raise
            await over()

    r_act = press_or_over
    while time.monotonic() < deadline:
        try:
            m = await next_reply(r, cfg.answer_timeout_s)
        except TimeoutError:
            unanswered += 1
            if unanswered >= 3:
                await over()
            else:
                told.resends += 1
                await r_act(last[0], **last[1])
            continue
        if "alert" in m:  # the card expired (start over) or the submit failed (press again)
            if "过期" in m["alert"]:
                await over()
            elif submitted:
                await asyncio.sleep(1.0)
                told.resends += 1
                await r_act(last[0], **last[1])
            continue
        t = _said(m)
        step: tuple[str, dict[str, Any]] | None = None
        found = CASE_NUMBER.search(t) if "已受理" in t or "上报编号" in t else None
        if found and submitted and found.group(1) not in numbers:
            told.number = found.group(1)
            numbers.add(told.number)
            return
        if found:
            continue
        if "请选择最接近的一项" in t:
            b = _buttons(m)[0]
            step = ("press", {"message_id": m["message_id"], "callback_data": b["callback_data"]})
        elif "识别到地点" in t:
            step = ("messages", {"text": f"就在{place}"})
        elif "问题在哪里" in t:
            step = ("locations", {"latitude": point[0], "longitude": point[1]})
        elif "现场照片" in t:
            step = ("messages", {"text": "跳过"})
        elif "请核对" in t or "请点击上方的按钮" in t:
            card = m if "请核对" in t else card
            if card is None:
                await over()
                continue
            b = next(b for b in _buttons(card) if b["text"].endswith("提交"))
            step = ("press", {"message_id": card["message_id"], "callback_data": b["callback_data"]})
            submitted = True
        if step is not None:
            last, unanswered = step, 0
            await r_act(step[0], **step[1])


# ------------------------------------------------------------------------------ the account
async def _connect(url: str) -> Any:
    """A connection, waiting out a database that is restarting (up to 60 s)."""
    import asyncpg

    deadline = time.monotonic() + 60
    while True:
        try:
            return await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        except (OSError, asyncpg.PostgresError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def _outbox(url: str) -> list[dict[str, Any]]:
    conn = await _connect(url)
    try:
        rows = await conn.fetch(
            "SELECT id, kind, chat_id, state, tg_message_id, part_chat_id, parts_done FROM outbox"
        )
    finally:
        await conn.close()
    return [dict(r) for r in rows]


async def _cases(url: str, since_id: int) -> list[dict[str, Any]]:
    conn = await _connect(url)
    try:
        rows = await conn.fetch(
            "SELECT c.id, c.number, c.description, c.created_at, m.tg_id"
            " FROM cases c JOIN members m ON m.id = c.reporter_id WHERE c.id > $1",
            since_id,
        )
    finally:
        await conn.close()
    return [dict(r) for r in rows]


async def _max_case_id(url: str) -> int:
    conn = await _connect(url)
    try:
        return int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM cases"))
    finally:
        await conn.close()


def _group_messages(world: Any, groups: list[int]) -> list[tuple[int, dict[str, Any]]]:
    out = []
    for gid in groups:
        chat = world.chat(gid)
        if chat is None:
            continue
        out += [(gid, m) for m in chat.messages.values() if m.get("from", {}).get("is_bot")]
    return out


def unrecorded(rows: list[dict[str, Any]], messages: list[tuple[int, dict[str, Any]]],
               lost: set[tuple[int, int]]) -> tuple[int, int]:
    """(bot messages in the groups the outbox does not know of, those after a lost answer).
    Each will be (or was) sent once more: one duplicate each. A unit card is its text
    (`tg_message_id`) and its location pin (the part after it)."""
    texts = {(r["part_chat_id"] or r["chat_id"], r["tg_message_id"]) for r in rows
             if r["tg_message_id"] is not None}
    pins = sum(r["kind"] == "unit_card" and (r["parts_done"] >= 4 or r["state"] == "sent") for r in rows)
    unknown = lost_n = 0
    located = 0
    for chat, m in messages:
        if "location" in m:
            located += 1
        elif (chat, m["message_id"]) not in texts:
            unknown += 1
            lost_n += (chat, m["message_id"]) in lost
    return unknown + max(0, located - pins), lost_n


def _lost(world_api: Any) -> set[tuple[int, int]]:
    return {(c, mid) for _, c, mid in world_api.faults.lost_answers if c is not None and mid is not None}


@dataclass
class Chaos:
    """Kills and restarts at random points of the run (fractions of the reports told)."""

    plan: list[tuple[float, str]]
    done: list[dict[str, Any]] = field(default_factory=list)


def chaos_plan(cfg: ProofConfig, rnd: random.Random) -> list[tuple[float, str]]:
    plan = [(rnd.uniform(0.05, 0.85), "worker") for _ in range(cfg.worker_kills)]
    plan += [(rnd.uniform(0.05, 0.85), "relay") for _ in range(cfg.relay_kills)]
    plan += [(rnd.uniform(0.25, 0.45), "postgres") for _ in range(cfg.postgres_restarts)]
    plan += [(rnd.uniform(0.55, 0.75), "redis") for _ in range(cfg.redis_restarts)]
    return sorted(plan)


# ----------------------------------------------------------------------------------- the run
async def _proof(cfg: ProofConfig, echo: Callable[[str], None]) -> dict[str, Any]:
    from aiohttp import web

    from dispatch.settings import Settings
    from gridbot.bench.proof_services import Services, free_port
    from gridbot.bootstrap import bootstrap
    from gridbot.demo import DEMO_DIR
    from gridbot.processes.launch import ensure_demo_loaded
    from tgsandbox.config import SandboxConfig
    from tgsandbox.demo import demo_world
    from tgsandbox.faults import FaultConfig
    from tgsandbox.server import start_sandbox

    rnd = random.Random(cfg.seed)
    t_setup = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="gridbot-proof-"))
    services = Services()
    procs: list[Supervised] = []
    handle: Any = None
    runner: Any = None
    balancer: Balancer | None = None
    background: list[asyncio.Task[Any]] = []
    try:
        db_url, redis_url = await asyncio.to_thread(services.start, "gridbot_proof")
        app = await bootstrap(Settings(GRIDBOT_DATA_DIR=tmp, GRIDBOT_DATABASE_URL=db_url))
        try:
            await ensure_demo_loaded(app)
        finally:
            await app.close()
        first_case = await _max_case_id(db_url)

        world_spec = demo_world(DEMO_DIR)
        places = places_of(world_spec["geojson"])
        world_spec["users"] += [
            {"id": FIRST_RESIDENT + i, "first_name": f"居民{i}", "roles": ["resident"], "started": True}
            for i in range(cfg.residents)
        ]
        groups = [g["id"] for g in world_spec["groups"]]
        f = cfg.fault_rate
        faults = FaultConfig(rate_429=0.35 * f, rate_500=0.30 * f, rate_drop=0.25 * f,
                             rate_drop_after=0.10 * f, retry_after=1, seed=cfg.seed, methods=frozenset({"*"}))
        sandbox_cfg = SandboxConfig(max_messages_per_chat=10_000_000, max_events=200_000,
                                    max_pending_updates=1_000_000)
        handle = await start_sandbox("127.0.0.1", 0, config=sandbox_cfg, faults=faults, **world_spec)
        world = handle.world

        ports = [free_port(), free_port()]
        balancer = Balancer(ports)
        web_app = web.Application()
        web_app.router.add_post(WEBHOOK_PATH, balancer.handle)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        lb_port = free_port()
        await web.TCPSite(runner, "127.0.0.1", lb_port).start()
        webhook = f"http://127.0.0.1:{lb_port}{WEBHOOK_PATH}"

        env = _env(db_url, redis_url, handle.url, handle.token, tmp)
        workers = [Supervised(f"worker{i}", ["worker", webhook, f"127.0.0.1:{p}"], env, tmp, port=p)
                   for i, p in enumerate(ports)]
        relay = Supervised("relay", ["relay", str(cfg.relay_per_second), str(cfg.claim_ttl_s)], env, tmp)
        procs = [*workers, relay]
        for p in procs:
            p.start()
        for p in procs:
            await p.ready()
        while world.webhook is None:  # setWebhook went through (it is retried through the faults)
            await asyncio.sleep(0.1)
        echo(
            f"proof: {cfg.reports} reports from {cfg.residents} residents, 2 webhook workers + relay, "
            f"PostgreSQL + Redis, {cfg.fault_rate:.0%} Bot API faults; logs in {tmp}"
        )

        # -- the residents
        per = [cfg.reports // cfg.residents + (i < cfg.reports % cfg.residents) for i in range(cfg.residents)]
        told: list[Told] = []
        finished = 0

        async def person(i: int) -> None:
            nonlocal finished
            r = Resident(world, None, FIRST_RESIDENT + i)
            numbers: set[str] = set()
            for k in range(per[i]):
                n = i * 1000 + k
                place, point = places[(n * 7 + i) % len(places)]
                t = Told(FIRST_RESIDENT + i, TEMPLATES[(i + k) % len(TEMPLATES)].format(place=place))
                told.append(t)
                await report(r, t, place, point, cfg, numbers)
                finished += 1

        chaos = Chaos(chaos_plan(cfg, rnd))
        per_relay_kill: list[int] = []

        async def chaos_monkey() -> None:
            dup_before = 0
            for at, what in chaos.plan:
                while finished < at * cfg.reports:
                    await asyncio.sleep(0.05)
                await asyncio.sleep(rnd.uniform(0, 1.0))
                event: dict[str, Any] = {"what": what, "at_report": finished,
                                         "at": datetime.now(UTC).isoformat(timespec="seconds")}
                if what == "worker":
                    w = rnd.choice(workers)
                    w.kill9()
                    await asyncio.sleep(rnd.uniform(0.5, 2.0))  # the supervisor's restart delay
                    w.start()
                    await w.ready()
                    event["which"] = w.name
                elif what == "relay":
                    relay.kill9()
                    await asyncio.sleep(0.5)  # the Bot API finishes what the dead relay had in flight
                    rows = await _outbox(db_url)
                    unknown, lost_n = unrecorded(rows, _group_messages(world, groups), _lost(handle.api))
                    event["duplicates"] = (unknown - lost_n) - dup_before
                    per_relay_kill.append(event["duplicates"])
                    dup_before = unknown - lost_n
                    await asyncio.sleep(rnd.uniform(0.5, 1.5))
                    relay.start()
                    await relay.ready()
                elif what == "postgres":
                    event["away_s"] = round(await asyncio.to_thread(services.restart_postgres), 2)
                else:
                    event["away_s"] = round(await asyncio.to_thread(services.restart_redis), 2)
                chaos.done.append(event)
                echo(f"  {json.dumps(event, ensure_ascii=False)}")

        setup_s = time.perf_counter() - t_setup
        t0 = time.perf_counter()
        monkey = asyncio.create_task(chaos_monkey())
        people = [asyncio.create_task(person(i)) for i in range(cfg.residents)]
        background += [monkey, *people]
        await asyncio.gather(*people)
        wall = time.perf_counter() - t0
        await monkey

        # -- every notification delivered
        t1 = time.perf_counter()
        while True:
            rows = await _outbox(db_url)
            if not any(r["state"] == "pending" for r in rows):
                break
            if time.perf_counter() - t1 > cfg.drain_timeout_s:
                break
            await asyncio.sleep(1.0)
        drain = time.perf_counter() - t1
        await asyncio.sleep(1.0)

        # -- the account
        cases = await _cases(db_url, first_case)
        numbers = Counter(c["number"] for c in cases)
        by_number = {c["number"]: c for c in cases}
        accepted = [t for t in told if t.number is not None]
        missing = [t.number for t in accepted if t.number not in by_number]
        wrong = [t.number for t in accepted if t.number in by_number and (
            by_number[t.number]["tg_id"] != t.resident or t.text not in by_number[t.number]["description"])]
        texts_of: dict[int, set[str]] = {}
        for x in told:
            texts_of.setdefault(x.resident, set()).add(x.text)
        per_report = Counter((c["tg_id"], t) for c in cases for t in texts_of.get(c["tg_id"], ())
                             if t in c["description"])
        doubled_told = sum(per_report[(t.resident, t.text)] > 1 for t in accepted)
        untold = len(cases) - len(accepted)

        rows = await _outbox(db_url)
        messages = _group_messages(world, groups)
        cards = [r for r in rows if r["kind"] == "unit_card"]
        expected = 2 * len(cards) + sum(r["kind"] != "unit_card" and r["chat_id"] in groups for r in rows)
        unknown, lost_n = unrecorded(rows, messages, _lost(handle.api))
        stats = handle.api.faults.snapshot()["stats"]
        result: dict[str, Any] = {
            "config": asdict(cfg),
            "reports_told_accepted": len(accepted),
            "reports_given_up": len(told) - len(accepted),
            "setup_s": round(setup_s, 1),
            "wall_s": round(wall, 1),
            "reports_per_s": round(len(accepted) / wall, 2) if wall else 0.0,
            "resends": sum(t.resends for t in told),
            "restarts": sum(t.restarts for t in told),
            "lost": len(missing),
            "wrong": len(wrong),
            "accepted_twice": doubled_told + sum(numbers[n] > 1 for n in numbers),
            "cases_not_told": untold,
            "outbox": dict(Counter(f"{r['kind']}:{r['state']}" for r in rows)),
            "notifications_undelivered": sum(r["state"] != "sent" for r in rows),
            "relay_drain_s": round(drain, 1),
            "group_messages": len(messages),
            "group_messages_expected": expected,
            "duplicates": len(messages) - expected,
            "duplicates_after_lost_answer": lost_n,
            "duplicates_per_relay_kill": per_relay_kill,
            "chaos": chaos.done,
            "starts": {p.name: p.starts for p in procs},
            "bot_api_faults": stats,
            "balancer": dict(balancer.posts),
            "examples": {
                "missing": missing[:5],
                "wrong": [
                    {"told": t.number, "text": t.text, "resident": t.resident, "case": {
                        k: str(v) for k, v in by_number[t.number].items()
                        if k in ("description", "tg_id", "created_at")}}
                    for t in accepted if t.number in wrong
                ][:10],
                "doubled": [
                    {"told": t.number, "resends": t.resends, "restarts": t.restarts,
                     "cases": [(c["number"], c["created_at"].isoformat()) for c in cases
                               if c["tg_id"] == t.resident and t.text in c["description"]]}
                    for t in accepted if per_report[(t.resident, t.text)] > 1
                ][:10],
            },
        }
        result["unexplained_duplicates"] = unknown - lost_n - sum(per_relay_kill)
        return result
    finally:
        for task in background:  # stopped early (SIGTERM, an error): the residents stop first
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        for p in procs:
            p.stop()
        if runner is not None:
            await runner.cleanup()
        if balancer is not None:
            await balancer.close()
        if handle is not None:
            await handle.close()
        await asyncio.to_thread(services.close)


def run_proof(cfg: ProofConfig, echo: Callable[[str], None] = print) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        # SIGTERM / Ctrl+C: stop the processes and servers of the run before leaving.
        task = asyncio.current_task()
        assert task is not None
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, task.cancel)
        return await _proof(cfg, echo)

    return asyncio.run(main())


def print_table(r: dict[str, Any], echo: Callable[[str], None] = print) -> None:
    kills = r["duplicates_per_relay_kill"]
    mean = sum(kills) / len(kills) if kills else 0.0
    lines = [
        ("reports told accepted", f"{r['reports_told_accepted']} ({r['reports_given_up']} given up)"),
        ("reports/s", f"{r['reports_per_s']} over {r['wall_s']} s"),
        ("resident re-sends / start-overs", f"{r['resends']} / {r['restarts']}"),
        ("lost (told, not in the database)", str(r["lost"])),
        ("accepted twice", str(r["accepted_twice"])),
        ("cases whose number was not told", str(r["cases_not_told"])),
        ("notifications undelivered", str(r["notifications_undelivered"])),
        ("group messages / expected", f"{r['group_messages']} / {r['group_messages_expected']}"),
        ("duplicates: total", str(r["duplicates"])),
        ("  after a lost Bot API answer", str(r["duplicates_after_lost_answer"])),
        ("  per relay kill", f"{kills} (mean {mean:.2f})"),
        ("  unexplained", str(r["unexplained_duplicates"])),
        ("relay drain after the last report", f"{r['relay_drain_s']} s"),
    ]
    width = max(len(k) for k, _ in lines)
    for k, v in lines:
        echo(f"{k.ljust(width)}  {v}")


if __name__ == "__main__" and len(sys.argv) >= 2:
    if sys.argv[1] == "worker":
        asyncio.run(worker_main(sys.argv[2], sys.argv[3]))
    elif sys.argv[1] == "relay":
        asyncio.run(relay_main(float(sys.argv[2]), float(sys.argv[3])))
