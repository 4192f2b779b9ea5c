"""Generated cases (`gridbot/bench/synthetic_cases.py`) written in bulk, then analysed.

SQLite: executemany of plain tuples, one transaction per chunk, on one connection whose
PRAGMAs are set for the load only (no fsync, a large page cache, no foreign-key checks — the
rows refer to cases of the same chunk) and put back before it returns to the pool.
PostgreSQL: COPY (asyncpg's `copy_records_to_table`) in one transaction; the database
generates the next chunk's rows' indexes while Python generates the chunk after.
Afterwards the day counters are moved past the numbers used, the case id sequence past the
ids (PostgreSQL), and ANALYZE gives the planner the real table sizes, as a production
database would have them."""

from __future__ import annotations

import asyncio
from typing import Any

from gridbot.bench.synthetic_cases import TABLES, Stamps, county_of, generate

ANALYSED = ("cases", "case_events", "messages", "chat_submissions", "outbox", "case_counters")
_SQLITE_LOAD_PRAGMAS = {"synchronous": "OFF", "cache_size": "-262144", "foreign_keys": "OFF"}


async def load_cases(app: Any, n: int, *, seed: int, days: int, chunk: int, events: bool = True,
                     rebuild: bool | None = None) -> int:
    """`rebuild`: drop the secondary indexes of the tables written and build them again after
    the load, in the load's transaction (a sort instead of a million random index updates;
    the default: when the load at least doubles the cases)."""
    if n <= 0:
        return 0
    county = county_of(app)
    postgres = app.engine.dialect.name == "postgresql"
    async with app.engine.connect() as conn:
        start_id = int((await conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM cases")).scalar_one())
        counters = {
            str(day): int(last) for day, last in (await conn.exec_driver_sql(
                "SELECT day, last FROM case_counters WHERE prefix = " + ("$1" if postgres else "?"),
                (county.prefix,))).all()
        }
    if rebuild is None:
        rebuild = n >= max(10_000, start_id)
    batches = generate(county, n, start_id=start_id, now=app.clock.now(), days=days, seed=seed,
                       counters=counters, stamps=Stamps(sqlite=not postgres), chunk=chunk, events=events)
    if postgres:
        await _load_postgres(app, batches, county.prefix, counters, rebuild)
    else:
        await _load_sqlite(app, batches, county.prefix, counters, rebuild)
    return n


def _counter_rows(prefix: str, counters: dict[str, int]) -> list[tuple[str, str, int]]:
    """The day counters as the generator left them (read once every chunk is written)."""
    return [(prefix, day, last) for day, last in sorted(counters.items())]


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


async def _load_sqlite(app: Any, batches: Any, prefix: str, counters: dict[str, int], rebuild: bool) -> None:
    async with app.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        db = raw.driver_connection  # aiosqlite's interface (threads or inline)
        await db.commit()
        before = {}
        for name in _SQLITE_LOAD_PRAGMAS:
            cursor = await db.execute(f"PRAGMA {name}")
            before[name] = (await cursor.fetchone())[0]
        try:
            for name, value in _SQLITE_LOAD_PRAGMAS.items():
                await db.execute(f"PRAGMA {name}={value}")
            statements = {t: _insert_sql(t, cols) for t, cols in TABLES.items()}
            await db.execute("BEGIN")  # one transaction: all of it, or (interrupted) nothing
            marks = ", ".join("?" * len(TABLES))
            indexes = (await (await db.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({marks})", tuple(TABLES))).fetchall()) if rebuild else []
            for name, _ in indexes:
                await db.execute(f'DROP INDEX "{name}"')
            for batch in batches:
                for table, rows in batch.rows.items():
                    if rows:
                        await db.executemany(statements[table], rows)
                await asyncio.sleep(0)  # inline SQLite never waits: let a Ctrl-C (a cancel) in
            for _, sql in indexes:
                await db.execute(sql)
            await db.executemany(
                "INSERT INTO case_counters (prefix, day, last) VALUES (?, ?, ?) ON CONFLICT (prefix, day) "
                "DO UPDATE SET last = max(last, excluded.last)", _counter_rows(prefix, counters))
            await db.commit()
            # Statistics as `PRAGMA optimize` keeps them: each index sampled, not read whole.
            await db.execute("PRAGMA analysis_limit=1000")
            await db.execute("ANALYZE")
            await db.execute("PRAGMA analysis_limit=0")
            await db.commit()
            await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except BaseException:
            await db.rollback()
            raise
        finally:
            for name, value in before.items():
                await db.execute(f"PRAGMA {name}={value}")


async def _load_postgres(app: Any, batches: Any, prefix: str, counters: dict[str, int],
                         rebuild: bool) -> None:
    async with app.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        pg = raw.driver_connection  # asyncpg
        async with pg.transaction():
            indexes = await pg.fetch(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = ANY($1::text[]) AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                list(TABLES)) if rebuild else []
            for row in indexes:
                await pg.execute(f'DROP INDEX "{row["indexname"]}"')
            pending: asyncio.Future[None] | None = None
            try:
                for batch in batches:
                    if pending is not None:
                        await pending
                    pending = asyncio.ensure_future(_copy(pg, batch.rows))
                    await asyncio.sleep(0)  # let it send before the next chunk is generated
                if pending is not None:
                    await pending
            except BaseException:
                if pending is not None:
                    pending.cancel()
                    await asyncio.gather(pending, return_exceptions=True)
                raise
            if indexes:
                await pg.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for row in indexes:
                await pg.execute(row["indexdef"])
            await pg.executemany(
                "INSERT INTO case_counters (prefix, day, last) VALUES ($1, $2, $3) ON CONFLICT (prefix, day) "
                "DO UPDATE SET last = greatest(case_counters.last, excluded.last)",
                _counter_rows(prefix, counters))
            await pg.execute(
                "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))")
        await pg.execute("ANALYZE " + ", ".join(ANALYSED))


async def _copy(pg: Any, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    for table, records in rows.items():
        if records:
            await pg.copy_records_to_table(table, records=records, columns=list(TABLES[table]))
