"""SQLite statements run on the event loop's own thread.

aiosqlite sends every call — execute, fetchone, fetchall, close, commit — to a worker
thread and waits for a future. A submitted report makes about 40 such calls; each hop
(queue, thread wake-up, future, loop wake-up) costs more CPU than the SQLite statement
itself, which on a local file in WAL mode takes microseconds. `InlineConnection` keeps
aiosqlite's interface (so SQLAlchemy's aiosqlite dialect is unchanged) but runs each call
directly; only opening and closing the connection still use aiosqlite's thread.

The price: a statement blocks the event loop while it runs. That is fine for the short
statements of the bot and the scheduler. Waiting for another process's write lock (the
console, a `gridbot grids import`, other bot workers) must not block the loop, so these
connections have no SQLite busy timeout (SQLite's busy handler sleeps on the calling
thread, 1–100 ms at a time): a statement that finds the database locked is tried again
after an `asyncio.sleep`, from 0.5 ms doubling to 20 ms, for up to `BUSY_TIMEOUT_S` like
the busy timeout it replaces. Retrying is safe: a statement refused with SQLITE_BUSY did
nothing, and the transaction does not hold a stale snapshot — the sqlite3 module begins a
transaction just before its first write, which is where the lock is taken.
`GRIDBOT_SQLITE_THREADS=1` switches back to aiosqlite's threads; PostgreSQL is unaffected."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite

BUSY_TIMEOUT_S = 10.0
FIRST_WAIT_S = 0.0005
LONGEST_WAIT_S = 0.02
SQLITE_BUSY = 5
SQLITE_BUSY_SNAPSHOT = 517  # a transaction that read an old snapshot: waiting cannot help


def is_busy(exc: BaseException) -> bool:
    """The database is locked by another connection, and waiting may help."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:  # older Pythons: only the message
        return "database is locked" in str(exc)
    return code & 0xFF == SQLITE_BUSY and code != SQLITE_BUSY_SNAPSHOT


class InlineConnection(aiosqlite.Connection):
    busy_retries = 0  # statements that had to wait for a lock (all connections of the process)

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
        InlineConnection.busy_retries += 1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BUSY_TIMEOUT_S
        wait = FIRST_WAIT_S
        while True:
            await asyncio.sleep(wait)
            if not self._running or self._connection is None:
                raise ValueError("Connection closed")
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or loop.time() >= deadline:
                    raise
            wait = min(wait * 2, LONGEST_WAIT_S)


def inline_creator(database: str) -> Callable[[], Any]:
    """An `async_creator` for `create_async_engine` opening `database` inline."""

    def connector() -> sqlite3.Connection:
        # Opened on aiosqlite's thread, used on the loop's thread: no same-thread check
        # (the pool hands a connection to one task at a time). No busy timeout: see above.
        return sqlite3.connect(database, check_same_thread=False, timeout=0)

    async def create() -> InlineConnection:
        connection = InlineConnection(connector, 64)
        connection._thread.daemon = True
        await connection  # starts aiosqlite's thread and opens the database there
        return connection

    return create
