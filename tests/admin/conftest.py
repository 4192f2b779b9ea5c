"""Console fixtures: the demo county with a few cases, three console users, logged-in clients."""

from __future__ import annotations

import asyncio
import re
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from dispatch.service.cases import ReportDraft
from tests.conftest import tg_member

PASSWORD = "correct horse 1"
START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
MARKET = (25.838018, 115.021984)  # 解放路菜市场, G-01-01-01-04 → 城关执法中队
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no CSRF token in page"
    return m.group(1)


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    page = await client.get("/login")
    return await client.post("/login", data={
        "username": username, "password": password, "csrf_token": csrf_of(page.text), "next": "/cases"})


async def _load_demo(url: str, data_dir: Path) -> None:
    from dispatch.service.imports import import_grids, import_members, import_units
    from dispatch.settings import Settings
    from gridbot.bootstrap import bootstrap
    from tests.conftest import demo_docs

    app = await bootstrap(Settings(GRIDBOT_DATABASE_URL=url, GRIDBOT_DATA_DIR=data_dir))
    grids, units, people = demo_docs()
    await import_grids(app.uow(), grids, START)
    await import_units(app.uow(), units, START)
    await import_members(app.uow(), people, START)
    await app.close()


def _run(coro: Any) -> Any:
    """Run a coroutine to completion on a fresh loop in a thread (fixtures may be inside one)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrated demo county once per run; each test copies the file (fast)."""
    d = tmp_path_factory.mktemp("admin-template")
    _run(_load_demo(f"sqlite+aiosqlite:///{d / 'template.sqlite3'}", d))
    return d / "template.sqlite3"


@pytest.fixture(scope="session")
def pg_template() -> Any:
    from tests.conftest import create_pg_database, drop_pg_database, pg_base_url

    base = pg_base_url()
    if not base:
        yield None
        return
    url = _run(create_pg_database(base))
    _run(_load_demo(url, Path("/tmp")))
    yield url
    _run(drop_pg_database(url))


async def _pg_copy(template: str) -> str:
    import asyncpg
    from sqlalchemy.engine import make_url

    u = make_url(template)
    name = f"gridbot_admin_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(host=u.host, port=u.port, user=u.username, password=u.password,
                                 database="postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{u.database}"')
    finally:
        await conn.close()
    return u.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def app(request: pytest.FixtureRequest, tmp_path: Path, clock: Any) -> AsyncIterator[Any]:
    """Like the shared `app` fixture (demo county on SQLite and PostgreSQL), from a template."""
    from dispatch.settings import Settings
    from gridbot.bootstrap import bootstrap
    from tests.conftest import drop_pg_database

    if request.param == "sqlite":
        shutil.copy(request.getfixturevalue("sqlite_template"), tmp_path / "gridbot.sqlite3")
        url, drop = f"sqlite+aiosqlite:///{tmp_path / 'gridbot.sqlite3'}", None
    else:
        template = request.getfixturevalue("pg_template")
        if template is None:
            pytest.skip("GRIDBOT_TEST_PG_URL not set")
        url = drop = await _pg_copy(template)
    app = await bootstrap(Settings(GRIDBOT_DATABASE_URL=url, GRIDBOT_DATA_DIR=tmp_path),
                          migrate=False, clock=clock)
    try:
        yield app
    finally:
        await app.close()
        if drop:
            await drop_pg_database(drop)


@pytest.fixture
async def users(app: Any, clock: Any) -> dict[str, Any]:
    from admin.accounts import create_user

    return {
        role: await create_user(app.uow(), role, PASSWORD, role, clock.now(), display_name=f"{role}-用户")
        for role in ("admin", "dispatcher", "viewer")
    }


@pytest.fixture
async def cases(app: Any) -> dict[str, Any]:
    svc = app.service
    dispatched = await svc.submit_report(ReportDraft(
        text="解放路菜市场门口天天有人摆摊卖菜", reporter_id=await tg_member(app, 100001), category="street_vending",
        lat=MARKET[0], lon=MARKET[1], photos=["AgACphoto-market-1"], confidence=0.93))
    triage = await svc.submit_report(ReportDraft(
        text="有个地方的路灯不亮了", reporter_id=await tg_member(app, 100002), category="street_vending"))
    return {"dispatched": dispatched, "triage": triage}


@pytest.fixture
async def admin_app(app: Any) -> Any:
    from admin.app import create_admin_app

    return create_admin_app(app, use_bot_photos=False)


@pytest.fixture
async def client(admin_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=admin_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as c:
        yield c


async def logged_in(admin_app: Any, username: str) -> httpx.AsyncClient:
    c = httpx.AsyncClient(transport=httpx.ASGITransport(app=admin_app), base_url="http://console.test")
    r = await login(c, username)
    assert r.status_code == 303, r.text
    return c
