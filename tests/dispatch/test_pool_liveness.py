"""PostgreSQL connections are checked at checkout without a round trip per use: a connection
the server ended is replaced, an idle one is pinged, a recently used one is handed out as is."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from dispatch.db import liveness
from dispatch.db.db import make_engine

pytestmark = pytest.mark.postgres


async def _pid(engine: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _kill(url: str, pid: int) -> None:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    finally:
        await engine.dispose()


async def test_a_connection_the_server_ended_is_replaced_at_checkout(pg_url: str) -> None:
    engine = make_engine(pg_url, pool_size=1, max_overflow=0)
    try:
        first = await _pid(engine)
        await _kill(pg_url, first)
        await asyncio.sleep(0.2)  # the driver reads the server's goodbye
        assert await _pid(engine) != first  # no error: a fresh connection
    finally:
        await engine.dispose()


async def test_only_an_idle_connection_is_pinged(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(pg_url, pool_size=1, max_overflow=0)
    pings: list[int] = []
    try:
        await _pid(engine)  # connected
        async with engine.connect() as conn:
            raw = (await conn.get_raw_connection()).dbapi_connection
        original = type(raw).ping

        def counting_ping(self: Any) -> None:
            pings.append(1)
            original(self)

        monkeypatch.setattr(type(raw), "ping", counting_ping)
        for _ in range(5):
            await _pid(engine)
        assert pings == []  # used a moment ago: no round trip spent on checking it
        monkeypatch.setattr(liveness, "IDLE_PING_S", 0.0)
        await _pid(engine)
        assert pings == [1]
    finally:
        await engine.dispose()


async def test_a_failed_ping_gives_a_fresh_connection(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(pg_url, pool_size=1, max_overflow=0)
    try:
        first = await _pid(engine)
        monkeypatch.setattr(liveness, "_closed", lambda c: False)  # a silent drop: nothing seen
        monkeypatch.setattr(liveness, "IDLE_PING_S", 0.0)
        await _kill(pg_url, first)
        # the driver may have noticed the close; the ping must fail on it either way
        assert await _pid(engine) != first
    finally:
        await engine.dispose()
