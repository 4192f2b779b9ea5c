"""`gridbot api` and `gridbot api-key`: the Open311 channel's processes and keys."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from dispatch.settings import Settings


async def key_command(settings: Settings, action: str, name: str) -> str:
    """create → the new key; revoke → "". Raises ValueError with a one-line message."""
    from dispatch.domain.errors import DomainError
    from dispatch.service.open311 import Open311
    from gridbot.bootstrap import bootstrap

    app = await bootstrap(settings)
    try:
        o = Open311(app.service, app.uow)
        if action == "create":
            return await o.create_key(name)
        await o.revoke_key(name)
        return ""
    except DomainError as exc:
        raise ValueError(str(exc)) from None
    finally:
        await app.close()


async def serve_api(
    settings: Settings, host: str, port: int, *, rate: float, burst: float, echo: Callable[[str], None]
) -> None:
    from api.app import create_api_app, make_server
    from gridbot.bootstrap import bootstrap
    from gridbot.config_watch import start_config_watch
    from gridbot.ops.endpoints import add_fastapi_routes, readiness

    app = await bootstrap(settings)
    stop = asyncio.Event()
    watcher = start_config_watch(app, stop)  # grids, units and policy edited elsewhere
    api = create_api_app(app, rate=rate, burst=burst)
    add_fastapi_routes(api, app, readiness(app))  # /healthz /readyz /metrics
    server = make_server(api, host, port, log_config=None)  # logs: gridbot/logs.py
    task = asyncio.create_task(server.serve())
    try:
        while not server.started and not task.done():
            await asyncio.sleep(0.05)
        if server.started:
            bound = server.servers[0].sockets[0].getsockname()[1] if server.servers else port
            shown = f"[{host}]" if ":" in host else host
            echo(f"gridbot api: http://{shown}:{bound}/open311/v2/")
        await task
    finally:
        stop.set()
        await watcher
        await app.close()
