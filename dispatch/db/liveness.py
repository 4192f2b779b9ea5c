"""Checking a pooled PostgreSQL connection before use, cheaply.

SQLAlchemy's `pool_pre_ping` pings on every checkout: with asyncpg that is three round trips
(BEGIN, `;`, ROLLBACK) before each unit of work — a tenth of a worker's CPU under load, for a
connection that was in use milliseconds ago. Here a checkout costs nothing when the
connection is known alive and was used recently:

* a connection whose socket the driver has seen close (the server restarted or ended it) is
  replaced at once — asyncpg notices the close as soon as the event loop reads the EOF;
* one that has been idle in the pool longer than `IDLE_PING_S` (a firewall or NAT may have
  dropped it silently meanwhile) is pinged first, as pre-ping would;
* a failed ping raises `DisconnectionError`, on which the pool connects afresh (up to three
  times) — the unit of work never sees the dead connection.

A connection that dies silently in the seconds between two uses fails its statement once; the
pool then discards every connection older than the failure (SQLAlchemy's invalidation)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine

IDLE_PING_S = 10.0
_USED = "gridbot_last_used"


def _closed(dbapi_connection: Any) -> bool:
    driver = getattr(dbapi_connection, "driver_connection", None)
    is_closed = getattr(driver, "is_closed", None)
    return bool(is_closed()) if callable(is_closed) else False


def _mark_used(_dbapi_connection: Any, record: Any) -> None:
    """Connected, or given back to the pool: in use until now."""
    record.info[_USED] = time.monotonic()


def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    if _closed(dbapi_connection):
        raise DisconnectionError("the database closed this connection")
    last = record.info.get(_USED)
    if last is not None and time.monotonic() - last <= IDLE_PING_S:
        return
    try:
        dbapi_connection.ping()
    except Exception as exc:  # whatever the driver raises for a dead socket
        raise DisconnectionError(f"ping failed: {exc}") from exc
    record.info[_USED] = time.monotonic()


def check_on_checkout(engine: AsyncEngine) -> None:
    """Install the checks on `engine`'s pool (instead of `pool_pre_ping`)."""
    pool = engine.sync_engine.pool
    event.listen(pool, "connect", _mark_used)
    event.listen(pool, "checkin", _mark_used)
    event.listen(pool, "checkout", _on_checkout)
