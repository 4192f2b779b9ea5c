"""/healthz, /readyz and /metrics, mounted on a process's own HTTP server (the webhook's
aiohttp app, the console's and the Open311 API's FastAPI apps) or served on their own
(`gridbot run` with long polling: `--ops-listen`). docs/deployment.md"""

from __future__ import annotations

import logging
from typing import Any

from dispatch.observe import metrics
from dispatch.service.app import App
from dispatch.service.health import BotApiCheck, Readiness, database_check, redis_check, refresh_gauges

log = logging.getLogger("gridbot.ops")


def readiness(app: App, *, bot_api: tuple[str, str] | None = None) -> Readiness:
    """The checks of a process: the database, Redis when configured, and the Bot API for the
    processes that talk to Telegram (`bot_api` = (base URL, token))."""
    r = Readiness({"database": database_check(app.engine)})
    if app.settings.redis_url:
        r.checks["redis"] = redis_check(app.settings.redis_url)
    if bot_api is not None:
        r.checks["bot_api"] = BotApiCheck(*bot_api)
    return r


async def metrics_body(app: App) -> bytes:
    try:
        await refresh_gauges(app.engine, app.clock.now())
    except Exception as exc:  # the database is down: the other metrics still count
        log.warning("metrics: database gauges not refreshed: %s", type(exc).__name__)
    return metrics.render()


def add_aiohttp_routes(web_app: Any, app: App, ready: Readiness) -> None:
    from aiohttp import web

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_request: web.Request) -> web.Response:
        ok, body = await ready.run()
        return web.json_response(body, status=200 if ok else 503)

    async def metrics_view(_request: web.Request) -> web.Response:
        body = await metrics_body(app)
        return web.Response(body=body, headers={"Content-Type": metrics.CONTENT_TYPE_LATEST})

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    web_app.router.add_get("/metrics", metrics_view)


def add_fastapi_routes(api: Any, app: App, ready: Readiness) -> None:
    from fastapi import Response
    from fastapi.responses import JSONResponse

    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz() -> JSONResponse:
        ok, body = await ready.run()
        return JSONResponse(body, status_code=200 if ok else 503)

    async def metrics_view() -> Response:
        return Response(await metrics_body(app), media_type=metrics.CONTENT_TYPE_LATEST)

    api.add_api_route("/healthz", healthz, methods=["GET"], include_in_schema=False)
    api.add_api_route("/readyz", readyz, methods=["GET"], include_in_schema=False)
    api.add_api_route("/metrics", metrics_view, methods=["GET"], include_in_schema=False)


async def serve_ops(listen: str, app: App, ready: Readiness) -> Any:
    """The three endpoints on their own port (host:port); returns the runner to clean up."""
    from aiohttp import web

    web_app = web.Application()
    add_aiohttp_routes(web_app, app, ready)
    runner = web.AppRunner(web_app)
    await runner.setup()
    host, _, port = listen.rpartition(":")
    await web.TCPSite(runner, host or "0.0.0.0", int(port)).start()
    return runner
