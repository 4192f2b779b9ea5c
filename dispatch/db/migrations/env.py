"""Alembic environment: async engines for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

import dispatch.db.bulletin_tables  # noqa: F401,E402  (the 通报 made per period)
import dispatch.db.channel_tables  # noqa: F401,E402  (hotline orders, the Open311 API)
import dispatch.db.console_tables  # noqa: F401,E402  (the console's account tables)
import dispatch.db.patrol_tables  # noqa: F401,E402  (patrols and their tracks)
from dispatch.db.db import make_engine
from dispatch.db.orm import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
