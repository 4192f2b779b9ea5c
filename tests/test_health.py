"""/healthz, /readyz and /metrics as the console, the Open311 API and the bot's ops port
serve them: each check's result as JSON, 503 when one fails, the database gauges at scrape
time."""

from __future__ import annotations

import socket
from typing import Any

import httpx
from aiohttp import web
from fastapi import FastAPI

from dispatch.db.db import make_engine
from dispatch.service.cases import ReportDraft
from dispatch.service.health import Readiness, database_check
from gridbot.ops.endpoints import add_fastapi_routes, readiness, serve_ops
from tests.conftest import tg_member

MARKET = (25.838018, 115.021984)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def get(api: FastAPI, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://t") as c:
        return await c.get(path)


async def test_ready_and_metrics_on_a_fastapi_process(app: Any, clock: Any) -> None:
    api = FastAPI()
    add_fastapi_routes(api, app, readiness(app))
    assert (await get(api, "/healthz")).json() == {"status": "ok"}
    r = await get(api, "/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ready" and r.json()["checks"]["database"]["ok"] is True
    assert "redis" not in r.json()["checks"]  # not configured

    case = await app.service.submit_report(ReportDraft(
        text="解放路菜市场门口有人摆摊", reporter_id=await tg_member(app, 100001), category="street_vending",
        lat=MARKET[0], lon=MARKET[1]))
    clock.advance(days=3)  # past its deadline, its notifications still waiting
    text = (await get(api, "/metrics")).text
    pending = next(float(line.split()[-1]) for line in text.splitlines()
                   if line.startswith("gridbot_outbox_pending "))
    assert pending >= 1
    oldest = next(float(line.split()[-1]) for line in text.splitlines()
                  if line.startswith("gridbot_outbox_oldest_pending_seconds "))
    assert oldest >= 3 * 86400
    assert f'gridbot_cases_overdue{{unit="{case.unit_id}"}} 1.0' in text


async def test_not_ready_when_the_database_or_redis_is_gone(app: Any) -> None:
    app.settings.redis_url = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
    api = FastAPI()
    add_fastapi_routes(api, app, readiness(app))
    r = await get(api, "/readyz")
    assert r.status_code == 503
    checks = r.json()["checks"]
    assert checks["database"]["ok"] is True and checks["redis"]["ok"] is False and checks["redis"]["error"]
    gone = make_engine(f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/none")
    api = FastAPI()
    add_fastapi_routes(api, app, Readiness({"database": database_check(gone)}))
    r = await get(api, "/readyz")
    assert r.status_code == 503 and r.json()["status"] == "not ready"
    assert r.json()["checks"]["database"]["ok"] is False and r.json()["checks"]["database"]["error"]
    assert (await get(api, "/healthz")).status_code == 200  # alive, only not ready


async def test_bot_api_check_is_cached_and_says_when_telegram_is_down(app: Any) -> None:
    calls: list[str] = []
    answer = {"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "b", "username": "b"}}

    async def get_me(request: web.Request) -> web.Response:
        calls.append(request.path)
        return web.json_response(answer)

    tg = web.Application()
    tg.router.add_get("/bot123:SECRET/getMe", get_me)
    runner = web.AppRunner(tg)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    ops_port = free_port()
    ready = readiness(app, bot_api=(f"http://127.0.0.1:{port}", "123:SECRET"))
    ops = await serve_ops(f"127.0.0.1:{ops_port}", app, ready)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ops_port}") as c:
            for _ in range(3):
                r = await c.get("/readyz")
                assert r.status_code == 200 and r.json()["checks"]["bot_api"]["ok"], r.text
            assert len(calls) == 1  # one getMe for three probes
            await runner.cleanup()  # Telegram is gone, and the cached answer expires
            ready.checks["bot_api"]._until = 0.0  # type: ignore[attr-defined]
            r = await c.get("/readyz")
            assert r.status_code == 503
            assert "getMe failed" in r.json()["checks"]["bot_api"]["error"]
            assert "SECRET" not in r.text
            assert (await c.get("/healthz")).status_code == 200
            assert "gridbot_updates_total" in (await c.get("/metrics")).text
    finally:
        await ops.cleanup()
        await runner.cleanup()


async def test_console_and_open311_serve_them_without_a_login_or_a_key(app: Any) -> None:
    from admin.app import create_admin_app
    from api.app import create_api_app

    for api in (create_admin_app(app, use_bot_photos=False), create_api_app(app)):
        add_fastapi_routes(api, app, readiness(app))
        r = await get(api, "/readyz")
        assert r.status_code == 200 and r.json()["checks"]["database"]["ok"], r.text
        assert (await get(api, "/healthz")).json() == {"status": "ok"}
        assert "gridbot_cases_overdue" in (await get(api, "/metrics")).text


async def test_the_database_gauges_are_read_at_most_every_few_seconds(app: Any, clock: Any) -> None:
    from dispatch.service import health

    await health.refresh_gauges(app.engine, clock.now(), max_age=0)
    await app.service.submit_report(ReportDraft(
        text="解放路菜市场门口有人摆摊", reporter_id=await tg_member(app, 100001), category="street_vending",
        lat=MARKET[0], lon=MARKET[1]))
    clock.advance(days=1)
    await health.refresh_gauges(app.engine, clock.now())  # within max_age: the earlier values
    assert "gridbot_cases_overdue{" not in (await health_text())
    await health.refresh_gauges(app.engine, clock.now(), max_age=0)
    assert 'gridbot_cases_overdue{unit="zf-chengguan"} 1.0' in (await health_text())


async def health_text() -> str:
    from dispatch.observe.metrics import render

    return render().decode()
