"""SQLite statements on the loop's thread by default; aiosqlite's threads on request."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from dispatch.db.db import make_engine, session_factory, upgrade_async
from dispatch.db.sqlite_inline import InlineConnection
from dispatch.db.uow import UnitOfWork
from dispatch.settings import Settings


async def _driver_connection_type(url: str, threads: bool) -> type:
    engine = make_engine(url, sqlite_threads=threads)
    try:
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            return type(raw.driver_connection)
    finally:
        await engine.dispose()


async def test_inline_by_default_threads_on_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'a.sqlite3'}"
    assert await _driver_connection_type(url, False) is InlineConnection
    assert await _driver_connection_type(url, True) is not InlineConnection
    monkeypatch.setenv("GRIDBOT_SQLITE_THREADS", "1")  # read by the one settings class
    assert Settings().sqlite_threads is True
    monkeypatch.delenv("GRIDBOT_SQLITE_THREADS")
    assert Settings().sqlite_threads is False


@pytest.mark.parametrize("threads", [False, True])
async def test_many_tasks_share_the_pool_without_losing_a_number(tmp_path: Path, threads: bool) -> None:
    """200 concurrent transactions each take a case number: all distinct, none lost,
    in both modes (the pool hands a connection to one task at a time)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'b.sqlite3'}"
    await upgrade_async(url)
    engine = make_engine(url, sqlite_threads=threads)
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


async def test_a_locked_database_is_waited_for_without_blocking_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process (here: a plain connection) holds the write lock for 150 ms: the write
    waits and succeeds, and the event loop keeps running meanwhile; held past the timeout,
    the error comes through."""
    import sqlite3

    from dispatch.db import sqlite_inline

    path = tmp_path / "c.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    engine = make_engine(url)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
        before = InlineConnection.busy_retries
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO t VALUES (1)")
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.005)
                ticks += 1

        async def write() -> float:
            t0 = asyncio.get_running_loop().time()
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (2)"))
            return asyncio.get_running_loop().time() - t0

        tick_task = asyncio.create_task(ticker())
        write_task = asyncio.create_task(write())
        await asyncio.sleep(0.15)
        other.execute("COMMIT")
        waited = await write_task
        tick_task.cancel()
        assert 0.14 < waited < 1.0 and ticks >= 15  # the loop ran while the write waited
        assert InlineConnection.busy_retries == before + 1
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 2

        monkeypatch.setattr(sqlite_inline, "BUSY_TIMEOUT_S", 0.1)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(Exception, match="database is locked"):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (3)"))
        other.execute("ROLLBACK")
    finally:
        other.close()
        await engine.dispose()


def test_which_errors_are_worth_waiting_for() -> None:
    import sqlite3

    from dispatch.db.sqlite_inline import is_busy

    locked = sqlite3.OperationalError("database is locked")
    locked.sqlite_errorcode = 5  # type: ignore[attr-defined]
    snapshot = sqlite3.OperationalError("database is locked")
    snapshot.sqlite_errorcode = 517  # type: ignore[attr-defined]
    other = sqlite3.OperationalError("no such table: t")
    other.sqlite_errorcode = 1  # type: ignore[attr-defined]
    assert is_busy(locked) and not is_busy(snapshot) and not is_busy(other)
    assert not is_busy(ValueError("database is locked"))
