"""Start the sandbox: ``create_app(config)`` for aiohttp, ``start_sandbox(...)`` in-process."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .botapi import BotAPI
from .config import DEFAULT_TOKEN, SandboxConfig
from .faults import FaultConfig, FaultInjector, RateLimitConfig, RateLimiter
from .pageapi import PageAPI
from .state import World
from .webhook import WebhookWorker

if TYPE_CHECKING:
    from aiogram.client.telegram import TelegramAPIServer

    from .client import SandboxClient, SandboxUser

STATIC = Path(__file__).with_name("static")
WORLD = web.AppKey("sandbox_world", World)
BOT_API = web.AppKey("sandbox_bot_api", BotAPI)
_WEBHOOK = web.AppKey("sandbox_webhook", WebhookWorker)


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


def create_app(config: SandboxConfig | None = None, world: World | None = None
               ) -> web.Application:
    config = config or (world.config if world else SandboxConfig())
    world = world or World(config)
    api = BotAPI(world, FaultInjector(config.faults), RateLimiter(config.rate_limits))
    webhook = WebhookWorker(api)
    app = web.Application(client_max_size=60 * 1024 * 1024)
    app[WORLD] = world
    app[BOT_API] = api
    app[_WEBHOOK] = webhook
    app.add_routes(api.routes())
    app.add_routes(PageAPI(world, api).routes())
    app.router.add_get("/", _index)
    app.router.add_static("/static/", STATIC, append_version=False)

    async def on_startup(app: web.Application) -> None:
        webhook.start()

    async def on_shutdown(app: web.Application) -> None:
        world.updates.close()
        world.events.close()

    async def on_cleanup(app: web.Application) -> None:
        await webhook.stop()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    return app


@dataclass
class SandboxHandle:
    """A running sandbox: ``url`` is both the page and the Bot API base."""

    url: str
    token: str
    app: web.Application
    runner: web.AppRunner

    @property
    def world(self) -> World:
        return self.app[WORLD]

    @property
    def api(self) -> BotAPI:
        return self.app[BOT_API]

    def telegram_server(self) -> TelegramAPIServer:
        """aiogram's TelegramAPIServer for this sandbox (imports aiogram)."""
        from aiogram.client.telegram import TelegramAPIServer

        return TelegramAPIServer.from_base(self.url)

    def client(self) -> SandboxClient:
        from .client import SandboxClient

        return SandboxClient(self.url)

    def user(self, user_id: int, chat_id: int | None = None) -> SandboxUser:
        from .client import SandboxUser

        return SandboxUser(self.url, user_id, chat_id)

    def set_faults(self, config: FaultConfig | None = None, **changes: Any) -> FaultConfig:
        """Replace (``config``) or change (keywords) fault injection; resets its statistics."""
        new = config or replace(self.api.faults.config, **changes)
        self.api.faults.configure(new)
        return new

    def set_rate_limits(self, config: RateLimitConfig | None = None, **changes: Any) -> None:
        self.api.limiter.configure(config or replace(self.api.limiter.config, **changes))

    async def close(self) -> None:
        await self.runner.cleanup()

    async def __aenter__(self) -> SandboxHandle:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def start_sandbox(
    host: str = "127.0.0.1",
    port: int = 0,
    token: str | None = None,
    *,
    config: SandboxConfig | None = None,
    users: Iterable[Mapping[str, Any]] = (),
    groups: Iterable[Mapping[str, Any]] = (),
    geojson: Mapping[str, Any] | None = None,
    places: Iterable[Mapping[str, Any]] | None = None,
    faults: FaultConfig | None = None,
) -> SandboxHandle:
    """Start the sandbox on ``host:port`` (0 = any free port) in the running event loop."""
    config = config or SandboxConfig()
    config = replace(config, token=token or config.token or DEFAULT_TOKEN)
    if faults is not None:
        config = replace(config, faults=faults)
    world = World(config)
    world.seed(users, groups)
    if geojson is not None or places is not None:
        world.set_map(geojson, places)
    app = create_app(config, world)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    url = f"http://{shown}:{bound[1]}"
    return SandboxHandle(url=url, token=config.token, app=app, runner=runner)
