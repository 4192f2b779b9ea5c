"""Readiness checks and the database gauges of /metrics.

* `database`: `SELECT 1` on a pooled connection, within 2 s;
* `redis` (when GRIDBOT_REDIS_URL is set): PING, within 2 s;
* `bot_api` (processes that talk to Telegram): getMe, within 3 s; a success is reused for
  60 s and a failure for 5 s, so a scrape every few seconds costs Telegram one call a minute.

/healthz answers 200 as long as the process serves requests; /readyz runs the checks and
answers 200 when every one passed, 503 otherwise, with each check's result as JSON."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from dispatch.db.orm import CaseRow, OutboxRow
from dispatch.domain.status import AWAITING_HANDLING
from dispatch.observe import metrics

CHECK_TIMEOUT = 2.0
BOT_API_TIMEOUT = 3.0
BOT_API_FRESH = 60.0
BOT_API_RETRY = 5.0
GAUGES_MAX_AGE = 10.0

Check = Callable[[], Awaitable[None]]


@dataclass
class Readiness:
    checks: dict[str, Check] = field(default_factory=dict)

    async def run(self) -> tuple[bool, dict[str, Any]]:
        """(ready, {"status": "ready"|"not ready", "checks": {name: {"ok", "ms", "error"?}}})."""
        results = await asyncio.gather(*(_timed(c) for c in self.checks.values()))
        checks = dict(zip(self.checks, results, strict=True))
        ready = all(r["ok"] for r in checks.values())
        return ready, {"status": "ready" if ready else "not ready", "checks": checks}


async def _timed(check: Check) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        await check()
    except Exception as exc:  # any failure is the check's answer, never the endpoint's
        error = str(exc) or type(exc).__name__
        return {"ok": False, "ms": round((time.perf_counter() - start) * 1e3, 1),
                "error": error.splitlines()[0][:200]}
    return {"ok": True, "ms": round((time.perf_counter() - start) * 1e3, 1)}


def database_check(engine: AsyncEngine) -> Check:
    async def check() -> None:
        async def ping() -> None:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))

        await asyncio.wait_for(ping(), CHECK_TIMEOUT)

    return check


def redis_check(url: str) -> Check:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_timeout=CHECK_TIMEOUT, socket_connect_timeout=CHECK_TIMEOUT)

    async def check() -> None:
        await asyncio.wait_for(client.ping(), CHECK_TIMEOUT)

    return check


class BotApiCheck:
    """getMe against the Bot API server, with the answer cached (see the module's doc). The
    token is never part of an error it reports."""

    def __init__(self, api_base: str, token: str) -> None:
        self._url = f"{api_base.rstrip('/')}/bot{token}/getMe"
        self._token = token
        self._until = 0.0
        self._error: str | None = None
        self._lock = asyncio.Lock()

    async def __call__(self) -> None:
        async with self._lock:
            if time.monotonic() >= self._until:
                self._error = await self._ask()
                self._until = time.monotonic() + (BOT_API_RETRY if self._error else BOT_API_FRESH)
        if self._error:
            raise RuntimeError(self._error)

    async def _ask(self) -> str | None:
        import httpx

        try:
            async with httpx.AsyncClient(timeout=BOT_API_TIMEOUT) as client:
                r = await client.get(self._url)
            if r.status_code != 200 or not r.json().get("ok"):
                return f"getMe answered {r.status_code}"
        except (httpx.HTTPError, ValueError) as exc:
            return f"getMe failed: {type(exc).__name__}"
        return None


_refreshed: weakref.WeakKeyDictionary[AsyncEngine, float] = weakref.WeakKeyDictionary()  # last read


async def refresh_gauges(engine: AsyncEngine, now: datetime, max_age: float = GAUGES_MAX_AGE) -> None:
    """Set the outbox and overdue gauges from the database: two indexed aggregate reads, at
    most once per `max_age` seconds (scrapes in between see the last values)."""
    last = _refreshed.get(engine)
    if last is not None and time.monotonic() - last < max_age:
        return
    _refreshed[engine] = time.monotonic()
    unit = func.coalesce(CaseRow.unit_id, "")  # grouping by an expression: the (status, due_at) index is used
    async with engine.connect() as conn:
        pending, oldest = (await conn.execute(
            select(func.count(), func.min(OutboxRow.created_at)).where(OutboxRow.state == "pending")
        )).one()
        overdue = (await conn.execute(
            select(unit, func.count())
            .where(CaseRow.status.in_([s.value for s in AWAITING_HANDLING]), CaseRow.due_at < now)
            .group_by(unit)
        )).all()
    metrics.OUTBOX_PENDING.set(pending)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    metrics.OUTBOX_OLDEST_SECONDS.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
    metrics.set_overdue({unit_id or "none": count for unit_id, count in overdue})
