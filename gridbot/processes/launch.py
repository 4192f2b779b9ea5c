"""Long-running entry points: `gridbot sandbox` (everything local) and `gridbot run` (Telegram).

Both use the same bot runtime; only the Bot API server differs (the sandbox through
`TelegramAPIServer`, the same aiogram code path as api.telegram.org)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import nullcontext, suppress
from typing import Any

from dispatch.settings import Settings
from gridbot.bootstrap import App, bootstrap
from gridbot.config_watch import start_config_watch

log = logging.getLogger("gridbot")


class LaunchError(RuntimeError):
    """A one-line reason the bot cannot start (no model, no token, port taken…)."""


async def ensure_demo_loaded(app: App) -> bool:
    """Load the demo county (grids, units, people, a month of history) into an empty database.
    True if loaded now."""
    async with app.uow() as uow:
        if await uow.grids.count():
            return False
    import json
    from importlib import resources

    import yaml

    from dispatch.service.imports import import_grids, import_members, import_units

    demo = resources.files("gridbot").joinpath("demo")
    now = app.clock.now()
    await import_grids(app.uow(), json.loads(demo.joinpath("county.geojson").read_text("utf-8")), now)
    await import_units(app.uow(), yaml.safe_load(demo.joinpath("units.yaml").read_text("utf-8")), now)
    await import_members(app.uow(), yaml.safe_load(demo.joinpath("people.yaml").read_text("utf-8")), now)
    await app.reload()
    from dispatch.service.history import import_history
    from gridbot.demo import history_lines

    tz = app.settings.tz
    await import_history(app.uow(), app.registry, history_lines(now, tz), prefix=app.settings.case_prefix,
                         tz=tz, now=now)
    return True


def load_nlu(app: App) -> Any:
    from bot.nlu import load_classifier

    try:
        return load_classifier(app.registry, app.settings.nlu_model_dir)
    except Exception as exc:  # ModelError, missing files
        raise LaunchError(f"cannot load the NLU model ({exc}); train one with `gridbot nlu train`") from exc


async def _until_signalled(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def _scheduler_task(app: App, stop: asyncio.Event) -> asyncio.Task[Any] | None:
    """The deadline scheduler (reminders, 督办, default ratings), if this build has one."""
    try:
        from dispatch.service.scheduler import Scheduler
    except ImportError:
        return None
    scheduler = Scheduler(app.sessions, lambda: app.registry, app.clock)
    return asyncio.create_task(scheduler.run(stop), name="scheduler")


SANDBOX_ADMIN = ("admin", "gridbot-sandbox")  # the console's demo login in `gridbot sandbox`


def _port_free(host: str, port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


async def _start_admin(
    app: App,
    host: str,
    port: int,
    api: str,
    token: str,
    bot_username: str | None,
    echo: Callable[[str], None],
) -> tuple[Any, asyncio.Task[Any]] | None:
    """The admin console in this event loop, photos read through the sandbox's Bot API."""
    try:
        from admin.accounts import ensure_user
        from admin.app import create_admin_app, make_server
        from admin.photos import BotApiPhotos
    except ImportError:
        return None
    if not _port_free(host, port):
        echo(f"  admin console: port {port} is taken; not started (use --admin-port)")
        return None
    user, password = SANDBOX_ADMIN
    await ensure_user(app.uow(), user, password, "admin", app.clock.now(), "沙盒管理员")
    photos = BotApiPhotos(api, token, cache_dir=app.settings.data_dir / "photo-cache")
    server = make_server(
        create_admin_app(app, photos=photos, bot_username=bot_username), host, port, log_level="warning"
    )
    server.capture_signals = nullcontext  # Ctrl+C belongs to `gridbot sandbox`, not uvicorn
    task = asyncio.create_task(server.serve(), name="admin")
    echo(f"  admin console: http://{host}:{port}/ (login {user} / {password})")
    return server, task


async def run_sandbox(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8081,
    echo: Callable[[str], None] = print,
    stop: asyncio.Event | None = None,
    scheduler: bool = True,
    admin_port: int = 8000,
    workers: int = 1,
) -> None:
    """Database + demo county + sandbox Bot API and page + bot + relay (+ scheduler, admin
    console), until stopped. `workers` > 1: the bot handles updates in that many processes
    (gridbot/processes/shards.py)."""
    from bot.runtime import build_runtime
    from gridbot.demo import DEMO_DIR
    from tgsandbox.demo import demo_world
    from tgsandbox.server import start_sandbox

    _check_workers(workers, settings)
    settings.ensure_data_dir()
    app = await bootstrap(settings)
    try:
        if await ensure_demo_loaded(app):
            echo("loaded the demo county 青禾县 (grids, units, people, a month of history)")
        nlu = load_nlu(app)
        world = demo_world(DEMO_DIR)
        _bind_groups_to_database(world, app)
        try:
            handle = await start_sandbox(host, port, **world)
        except OSError as exc:
            raise LaunchError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        runtime = build_runtime(app, nlu, token=handle.token, api_base=handle.url, channel="sandbox")
        stop = stop or asyncio.Event()
        tasks: list[asyncio.Task[Any]] = []
        admin: tuple[Any, asyncio.Task[Any]] | None = None
        sharded: Any = None
        try:
            sharded = await _start_bot(runtime, workers, settings, handle.token, handle.url, "sandbox")
            if scheduler and (t := _scheduler_task(app, stop)) is not None:
                tasks.append(t)
            tasks.append(start_config_watch(app, stop))  # reload on configuration changes
            me = await runtime.bot.me()
            echo(f"gridbot sandbox: {handle.url}/")
            echo(f"  Bot API {handle.url} · bot @{me.username} · database {settings.effective_database_url}")
            if workers > 1:
                echo(f"  {workers} bot worker processes")
            if admin_port:
                admin = await _start_admin(app, host, admin_port, handle.url, handle.token, me.username, echo)
            echo("  open the page, pick a resident (张桂兰) and describe a problem; Ctrl+C stops")
            await _until_signalled(stop)
        finally:
            stop.set()
            if admin is not None:
                admin[0].should_exit = True
                with suppress(Exception):
                    await asyncio.wait_for(admin[1], 10)
            for t in tasks:
                with suppress(Exception):
                    await asyncio.wait_for(t, 10)
            if sharded is not None:
                await sharded.stop()
            await runtime.stop()
            await handle.close()
    finally:
        await app.close()


def _check_workers(workers: int, settings: Settings) -> None:
    from gridbot.processes.shards import ShardError, check_workers

    try:
        check_workers(workers, settings.effective_database_url)
    except ShardError as exc:
        raise LaunchError(str(exc)) from exc


async def _start_bot(
    runtime: Any,
    workers: int,
    settings: Settings,
    token: str,
    api_base: str | None,
    channel: str,
    **intake: Any,
) -> Any:
    """One process that polls and handles (None), or the parent of `workers` processes (its
    `ShardedBot`, to stop before the runtime)."""
    from bot.runtime import settle_heap

    if workers <= 1:
        await runtime.start()
        settle_heap()
        return None
    from gridbot.processes.shard_intake import ShardedBot
    from gridbot.processes.shards import ShardError

    try:
        sharded = await ShardedBot.start(
            runtime, workers, settings=settings, token=token, api_base=api_base, channel=channel, **intake
        )
    except ShardError as exc:
        raise LaunchError(str(exc)) from exc
    settle_heap()
    return sharded


def _bind_groups_to_database(world: dict[str, Any], app: App) -> None:
    """The sandbox's groups are the units' groups as the database knows them (a group bound
    with /bind or migrated earlier keeps its id)."""
    people = {u["id"] for u in world["users"]}
    by_old = {g["id"]: g for g in world["groups"]}
    import yaml

    from gridbot.demo import DEMO_DIR

    demo_units = {
        u["id"]: u.get("chat_id")
        for u in yaml.safe_load((DEMO_DIR / "units.yaml").read_text("utf-8"))["units"]
    }
    for unit in app.registry.units.values():
        old = demo_units.get(unit.id)
        if unit.chat_id is not None and old is not None and old in by_old and unit.chat_id != old:
            by_old[old]["id"] = unit.chat_id
    for g in world["groups"]:
        g["members"] = [m for m in g["members"] if m in people]


async def run_telegram(
    settings: Settings,
    *,
    webhook: str | None = None,
    listen: str = "0.0.0.0:8080",
    webhook_secret: str | None = None,
    scheduler: bool = True,
    echo: Callable[[str], None] = print,
    workers: int = 1,
) -> None:
    from bot.runtime import build_runtime, serve_webhook

    if settings.telegram_bot_token is None:
        raise LaunchError("TELEGRAM_BOT_TOKEN is not set (or use `gridbot sandbox`)")
    _check_workers(workers, settings)
    settings.ensure_data_dir()
    app = await bootstrap(settings)
    try:
        async with app.uow() as uow:
            if not await uow.grids.count():
                raise LaunchError(
                    "no grids in the database: run `gridbot grids import` and "
                    "`gridbot units import` (or `gridbot demo load`) first"
                )
        nlu = load_nlu(app)
        runtime = build_runtime(
            app,
            nlu,
            token=settings.telegram_bot_token.get_secret_value(),
            api_base=settings.telegram_api,
            channel="telegram",
        )
        stop = asyncio.Event()
        tasks: list[asyncio.Task[Any]] = []
        sharded: Any = None
        try:
            if scheduler and (t := _scheduler_task(app, stop)) is not None:
                tasks.append(t)
            tasks.append(start_config_watch(app, stop))  # reload on configuration changes
            if workers > 1:
                token = settings.telegram_bot_token.get_secret_value()
                intake: dict[str, Any] = {
                    "webhook": webhook, "listen": listen, "webhook_secret": webhook_secret
                }
                sharded = await _start_bot(
                    runtime, workers, settings, token, settings.telegram_api, "telegram", **intake
                )
                mode = f"webhook {webhook}, listening on {listen}" if webhook else "long polling"
                echo(f"gridbot run: {mode}, {workers} bot worker processes; Ctrl+C stops")
                await _until_signalled(stop)
            elif webhook:
                echo(f"gridbot run: webhook {webhook}, listening on {listen}")
                serve = asyncio.create_task(serve_webhook(runtime, webhook, listen, webhook_secret))
                waiter = asyncio.create_task(_until_signalled(stop))
                await asyncio.wait([serve, waiter], return_when=asyncio.FIRST_COMPLETED)
                serve.cancel()
                with suppress(asyncio.CancelledError):
                    await serve
            else:
                await _start_bot(runtime, 1, settings, "", None, "telegram")
                me = await runtime.bot.me()
                echo(f"gridbot run: @{me.username} (long polling); Ctrl+C stops")
                await _until_signalled(stop)
        finally:
            stop.set()
            for t in tasks:
                with suppress(Exception):
                    await asyncio.wait_for(t, 10)
            if sharded is not None:
                await sharded.stop()
            await runtime.stop()
    finally:
        await app.close()


async def create_invite_link(
    settings: Settings, purpose: str, target: str, bot_username: str | None
) -> tuple[str, str]:
    """(code, link). The link is t.me/<bot>?start=<code>; in the sandbox, type /start <code>."""
    from dispatch.service import membership

    app = await bootstrap(settings)
    try:
        code = await membership.create_invite(app.uow(), app.registry, purpose, target, app.clock.now())
    finally:
        await app.close()
    if purpose == "bind_group":
        return code, f"/bind {code}"
    if bot_username is None and settings.telegram_bot_token is None:
        return code, f"/start {code}"  # the sandbox: type it in the chat with the bot
    username = bot_username or await _bot_username(settings)
    return code, f"https://t.me/{username}?start={code}"


async def _bot_username(settings: Settings) -> str:
    from bot.runtime import make_bot

    assert settings.telegram_bot_token is not None
    bot = make_bot(settings.telegram_bot_token.get_secret_value(), settings.telegram_api)
    try:
        me = await bot.me()
        return me.username or str(me.id)
    finally:
        await bot.session.close()
