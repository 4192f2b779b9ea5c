"""Engines, sessions and schema migrations (Alembic)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from dispatch.db.liveness import check_on_checkout

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    from dispatch.db.sqlite_inline import InlineConnection

    # An inline connection waits for locks itself, without blocking the event loop.
    inline = isinstance(getattr(dbapi_connection, "driver_connection", None), InlineConnection)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={0 if inline else 10000}")
    cursor.close()


def normalise_url(url: str) -> str:
    """Accept plain driver names and pick the async drivers we ship."""
    u = make_url(url)
    if u.drivername in ("sqlite", "sqlite+pysqlite"):
        u = u.set(drivername="sqlite+aiosqlite")
    elif u.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        u = u.set(drivername="postgresql+asyncpg")
    if u.drivername.startswith("sqlite") and u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    return u.render_as_string(hide_password=False)


def make_engine(url: str, *, sqlite_threads: bool = False, **kwargs: Any) -> AsyncEngine:
    """An engine for `url`. On SQLite, statements run on the event loop's thread (see
    sqlite_inline.py) unless `sqlite_threads` asks for aiosqlite's worker threads."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        database = make_url(url).database
        if not sqlite_threads and database and database != ":memory:" and "creator" not in kwargs:
            from dispatch.db.sqlite_inline import inline_creator

            kwargs["async_creator"] = inline_creator(database)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    pessimistic = "pool_pre_ping" not in kwargs
    engine = create_async_engine(url, **kwargs)
    if pessimistic:  # pre-ping's checks, without its three round trips per checkout
        check_on_checkout(engine)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations (blocking). Safe to call on every start."""
    from alembic import command

    command.upgrade(_alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, url, revision)


def current_revision(url: str) -> str | None:
    """The revision the database is at, through the same async driver the processes use (no
    second PostgreSQL driver needed)."""
    from alembic.runtime.migration import MigrationContext

    async def read() -> str | None:
        engine = create_async_engine(normalise_url(url))
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
        finally:
            await engine.dispose()

    return asyncio.run(read())
