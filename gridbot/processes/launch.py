"""Long-running entry points: `gridbot sandbox` (everything local) and `gridbot run` (Telegram).

Both use the same bot runtime; only the Bot API server differs (the sandbox through
`TelegramAPIServer`, the same aiogram code path as api.telegram.org)."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
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
        return load_classifier(app.registry, app.settings.data_dir, app.settings.nlu_model_dir)
    except Exception as exc:  # ModelError, missing files
        raise LaunchError(f"cannot load the NLU model ({exc}); train one with `gridbot nlu train`") from exc


async def _until_signalled(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def _scheduler_task(app: App, stop: asyncio.Event) -> asyncio.Task[Any]:
    """The deadline scheduler (reminders, 督办, default ratings, the 通报)."""
    from dispatch.service.scheduler import Scheduler

    scheduler = Scheduler(app.sessions, lambda: app.registry, app.clock, timezone=app.settings.timezone)
    return asyncio.create_task(scheduler.run(stop), name="scheduler")


SANDBOX_ADMIN = ("admin", "gridbot-sandbox")  # the console's demo login in `gridbot sandbox`


def _listen(host: str, port: int, what: str) -> socket.socket:
    """A listening socket on host:port, or a LaunchError naming the part that cannot start."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        raise LaunchError(f"{what}: cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


ADMIN_START_TIMEOUT = 30.0


async def _start_admin(
    app: App,
    host: str,
    port: int,
    api: str,
    token: str,
    bot_username: str | None,
    echo: Callable[[str], None],
    classifier: Any = None,
) -> tuple[Any, asyncio.Task[Any]]:
    """The admin console in this event loop, photos read through the sandbox's Bot API. It is
    listening when this returns; any reason it cannot start is a LaunchError."""
    from admin.accounts import ensure_user
    from admin.app import create_admin_app, make_server
    from admin.photos import BotApiPhotos
    from gridbot.ops.endpoints import add_fastapi_routes, readiness

    what = "admin console (--admin-port)"
    sock = _listen(host, port, what)
    try:
        user, password = SANDBOX_ADMIN
        await ensure_user(app.uow(), user, password, "admin", app.clock.now(), "沙盒管理员")
        photos = BotApiPhotos(api, token, cache_dir=app.settings.data_dir / "photo-cache")
        console = create_admin_app(app, photos=photos, bot_username=bot_username, classifier=classifier)
        add_fastapi_routes(console, app, readiness(app, bot_api=(api, token)))  # /healthz /readyz /metrics
        server = make_server(console, host, port, log_level="warning", log_config=None)
        server.capture_signals = nullcontext  # Ctrl+C belongs to `gridbot sandbox`, not uvicorn
        task = asyncio.create_task(server.serve(sockets=[sock]), name="admin")
    except BaseException:
        sock.close()
        raise
    deadline = asyncio.get_running_loop().time() + ADMIN_START_TIMEOUT
    while not server.started:
        if task.done() or asyncio.get_running_loop().time() > deadline:
            reason = _ended(task) if task.done() else f"not listening after {ADMIN_START_TIMEOUT:.0f} s"
            server.should_exit = True
            sock.close()
            raise LaunchError(f"{what} did not start: {reason}")
        await asyncio.sleep(0.02)
    echo(f"  admin console: http://{host}:{sock.getsockname()[1]}/ (login {user} / {password})")
    return server, task


def _ended(task: asyncio.Task[Any]) -> str:
    """Why a task that should still be running has ended."""
    if task.cancelled():
        return "cancelled"
    exc = task.exception()
    if isinstance(exc, SystemExit):  # uvicorn exits on a failed start
        return f"exit status {exc.code}"
    return repr(exc) if exc is not None else "it returned"


async def _until_stopped(stop: asyncio.Event, parts: list[tuple[str, asyncio.Task[Any]]]) -> None:
    """Until Ctrl+C/SIGTERM, or until one of the parts ends on its own: that is an error."""
    waiter = asyncio.create_task(_until_signalled(stop))
    try:
        await asyncio.wait([waiter, *(t for _, t in parts)], return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    for name, task in parts:
        if task.done() and not stop.is_set():
            raise LaunchError(f"{name} stopped unexpectedly: {_ended(task)}")


async def _finish(task: asyncio.Task[Any]) -> None:
    """Wait for a part to end after stop; a failure while stopping is logged, not hidden."""
    if not task.done():
        await asyncio.wait({task}, timeout=10)
    if not task.done():
        task.cancel()
        log.error("%s did not stop within 10 s", task.get_name())
    elif not task.cancelled() and (exc := task.exception()) is not None:
        log.error("%s ended with an error", task.get_name(), exc_info=exc)


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
            if scheduler:
                tasks.append(_scheduler_task(app, stop))
            tasks.append(start_config_watch(app, stop))  # reload on configuration changes
            me = await runtime.bot.me()
            echo(f"gridbot sandbox: {handle.url}/")
            echo(f"  Bot API {handle.url} · bot @{me.username} · database {settings.effective_database_url}")
            if workers > 1:
                echo(f"  {workers} bot worker processes")
            if admin_port:
                admin = await _start_admin(app, host, admin_port, handle.url, handle.token, me.username, echo,
                                           classifier=nlu)
            echo("  open the page, pick a resident (张桂兰) and describe a problem; Ctrl+C stops")
            await _until_stopped(stop, [("admin console", admin[1])] if admin is not None else [])
        finally:
            stop.set()
            if admin is not None:
                admin[0].should_exit = True
                await _finish(admin[1])
            for t in tasks:
                await _finish(t)
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
    from bot.retry import StartupError
    from bot.runtime import settle_heap

    if workers <= 1:
        try:
            await runtime.start()
        except StartupError as exc:
            raise LaunchError(str(exc)) from exc
        settle_heap()
        return None
    from gridbot.processes.shard_intake import ShardedBot
    from gridbot.processes.shards import ShardError

    try:
        sharded = await ShardedBot.start(
            runtime, workers, settings=settings, token=token, api_base=api_base, channel=channel, **intake
        )
    except (ShardError, StartupError) as exc:
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
    ops_listen: str | None = None,
) -> None:
    from bot.retry import StartupError
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
        if webhook:
            webhook_secret = _webhook_secret(settings, webhook_secret, echo)
        stop = asyncio.Event()
        tasks: list[asyncio.Task[Any]] = []
        sharded: Any = None
        ops: Any = None
        try:
            if ops_listen:
                ops = await _start_ops(app, ops_listen, settings, echo)
            if scheduler:
                tasks.append(_scheduler_task(app, stop))
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
                assert webhook_secret is not None
                echo(f"gridbot run: webhook {webhook}, listening on {listen}")
                serve = asyncio.create_task(serve_webhook(runtime, webhook, listen, webhook_secret))
                waiter = asyncio.create_task(_until_signalled(stop))
                await asyncio.wait([serve, waiter], return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                if serve.done() and isinstance(serve.exception(), StartupError):
                    raise LaunchError(str(serve.exception()))
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
                await _finish(t)
            if sharded is not None:
                await sharded.stop()
            await runtime.stop()
            if ops is not None:
                await ops.cleanup()
    finally:
        await app.close()


async def _start_ops(app: App, listen: str, settings: Settings, echo: Callable[[str], None]) -> Any:
    """/healthz, /readyz (database, Redis, the Bot API's getMe) and /metrics on `listen`."""
    from gridbot.ops.endpoints import readiness, serve_ops

    assert settings.telegram_bot_token is not None
    ready = readiness(app, bot_api=(settings.telegram_api, settings.telegram_bot_token.get_secret_value()))
    try:
        runner = await serve_ops(listen, app, ready)
    except (OSError, ValueError) as exc:
        raise LaunchError(f"--ops-listen {listen}: cannot listen: {exc}") from exc
    echo(f"health and metrics: http://{listen}/healthz, /readyz, /metrics")
    return runner


def _webhook_secret(settings: Settings, given: str | None, echo: Callable[[str], None]) -> str:
    """The webhook's secret: `--webhook-secret`, else GRIDBOT_WEBHOOK_SECRET, else the one kept
    in the data directory (made on first use; only its place is printed, never the secret)."""
    from bot.webhook import load_or_create_secret

    if given:
        return given
    if settings.webhook_secret is not None and settings.webhook_secret.get_secret_value():
        return settings.webhook_secret.get_secret_value()
    secret, path = load_or_create_secret(settings.data_dir)
    echo(f"webhook secret (GRIDBOT_WEBHOOK_SECRET not set): {path}")
    return secret


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
