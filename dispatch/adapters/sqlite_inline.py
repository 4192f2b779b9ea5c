"""SQLite statements run on the event loop's own thread.

aiosqlite sends every call — execute, fetchone, fetchall, close, commit — to a worker
thread and waits for a future. A submitted report makes about 40 such calls; each hop
(queue, thread wake-up, future, loop wake-up) costs more CPU than the SQLite statement
itself, which on a local file in WAL mode takes microseconds. `InlineConnection` keeps
aiosqlite's interface (so SQLAlchemy's aiosqlite dialect is unchanged) but runs each call
directly; only opening and closing the connection still use aiosqlite's thread.

The price: a statement blocks the event loop while it runs. That is fine for the short
statements of the bot and the scheduler. It is not fine while another process holds the
write lock for long (a big `gridbot grids import`): then a write waits up to
`busy_timeout` with the loop blocked. `GRIDBOT_SQLITE_THREADS=1` switches back to
aiosqlite's threads; PostgreSQL is unaffected."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite


class InlineConnection(aiosqlite.Connection):
    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def inline_creator(database: str) -> Callable[[], Any]:
    """An `async_creator` for `create_async_engine` opening `database` inline."""

    def connector() -> sqlite3.Connection:
        # Opened on aiosqlite's thread, used on the loop's thread: no same-thread check
        # (the pool hands a connection to one task at a time).
        return sqlite3.connect(database, check_same_thread=False)

    async def create() -> InlineConnection:
        connection = InlineConnection(connector, 64)
        connection._thread.daemon = True
        await connection  # starts aiosqlite's thread and opens the database there
        return connection

    return create
