"""SQLite statements on the loop's thread by default; aiosqlite's threads on request."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from dispatch.adapters.db import make_engine, session_factory, upgrade_async
from dispatch.adapters.sqlite_inline import InlineConnection
from dispatch.adapters.uow import UnitOfWork


async def _driver_connection_type(url: str) -> type:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            return type(raw.driver_connection)
    finally:
        await engine.dispose()


async def test_inline_by_default_threads_on_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'a.sqlite3'}"
    monkeypatch.delenv("GRIDBOT_SQLITE_THREADS", raising=False)
    assert await _driver_connection_type(url) is InlineConnection
    monkeypatch.setenv("GRIDBOT_SQLITE_THREADS", "1")
    assert await _driver_connection_type(url) is not InlineConnection


@pytest.mark.parametrize("threads", ["", "1"])
async def test_many_tasks_share_the_pool_without_losing_a_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads: str
) -> None:
    """200 concurrent transactions each take a case number: all distinct, none lost,
    in both modes (the pool hands a connection to one task at a time)."""
    monkeypatch.setenv("GRIDBOT_SQLITE_THREADS", threads)
    url = f"sqlite+aiosqlite:///{tmp_path / 'b.sqlite3'}"
    await upgrade_async(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    try:

        async def take() -> int:
            async with UnitOfWork(sessions) as uow:
                n = await uow.cases.next_number_seq("QH", "20261124")
                await uow.commit()
                return n

        numbers = await asyncio.gather(*(take() for _ in range(200)))
        assert sorted(numbers) == list(range(1, 201))
        async with engine.connect() as conn:
            mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar_one()
        assert mode == "wal"
    finally:
        await engine.dispose()
