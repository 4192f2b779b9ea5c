"""Shared fixtures: a database on SQLite and on PostgreSQL, and a bootstrapped app."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from dispatch.service.ports import FixedClock

START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai


def pg_base_url() -> str | None:
    url = os.environ.get("GRIDBOT_TEST_PG_URL")
    if not url and os.environ.get("CI"):
        pytest.fail("CI must provide GRIDBOT_TEST_PG_URL (see .ci/run)")
    return url


async def create_pg_database(base: str) -> str:
    import asyncpg
    from sqlalchemy.engine import make_url

    u = make_url(base)
    name = f"gridbot_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(
        host=u.host, port=u.port, user=u.username, password=u.password, database=u.database
    )
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return u.set(database=name).render_as_string(hide_password=False)


async def drop_pg_database(url: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conn = await asyncpg.connect(host=u.host, port=u.port, user=u.username, password=u.password,
                                 database="postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'gridbot.sqlite3'}"
        return
    async for url in _fresh_pg_database():
        yield url


async def _fresh_pg_database() -> AsyncIterator[str]:
    base = pg_base_url()
    if not base:
        pytest.skip("GRIDBOT_TEST_PG_URL not set")
    url = await create_pg_database(base)
    try:
        yield url
    finally:
        await drop_pg_database(url)


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A database of its own on the test PostgreSQL server (skipped without one)."""
    async for url in _fresh_pg_database():
        yield url


def demo_docs() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    demo = resources.files("gridbot").joinpath("demo")
    return (
        json.loads(demo.joinpath("county.geojson").read_text("utf-8")),
        yaml.safe_load(demo.joinpath("units.yaml").read_text("utf-8")),
        yaml.safe_load(demo.joinpath("people.yaml").read_text("utf-8")),
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
async def app(db_url: str, tmp_path: Path, clock: FixedClock) -> AsyncIterator[Any]:
    """The app on a migrated database with the demo county loaded."""
    from dispatch.service.imports import import_grids, import_members, import_units
    from dispatch.settings import Settings
    from gridbot.bootstrap import bootstrap

    settings = Settings(GRIDBOT_DATABASE_URL=db_url, GRIDBOT_DATA_DIR=tmp_path)
    app = await bootstrap(settings, clock=clock)
    grids, units, people = demo_docs()
    await import_grids(app.uow(), grids, clock.now())
    await import_units(app.uow(), units, clock.now())
    await import_members(app.uow(), people, clock.now())
    await app.reload()
    try:
        yield app
    finally:
        await app.close()


async def tg_member(app: Any, tg_id: int) -> int:
    """The member id of a Telegram user, as the bot maps one (registered on first contact)."""
    member = await app.service.telegram_member(tg_id)
    return int(member.id)


async def tg_actor(app: Any, tg_id: int, role: str, channel: str = "telegram") -> Any:
    """A Telegram user acting in `role`: what the bot passes to the case commands."""
    from dispatch.domain.case import Actor

    return Actor(await tg_member(app, tg_id), role, channel)
