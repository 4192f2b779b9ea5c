"""Putting the bot together: Bot (through any Bot API server), Dispatcher with its routers and
dependencies, FSM storage, the transcript and the relay; long polling or a webhook.

    runtime = build_runtime(app, nlu, token=..., api_base=...)
    await runtime.start()      # polling + relay + transcript writer, in this event loop
    ...
    await runtime.stop()
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramForbiddenError
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.types import BotCommand, ErrorEvent

import texts
from bot.deps import Classifier, Commands, Debouncer, People, WriteGate
from bot.nlu import ask_threshold
from bot.relay import OutboxRelay
from bot.routers import all_routers
from bot.session import JsonAiohttpSession
from bot.transcript import InboundMiddleware, OutboundMiddleware, Transcript
from dispatch.service.app import App
from dispatch.settings import TELEGRAM_PUBLIC_API

log = logging.getLogger("bot")

COMMANDS = [
    BotCommand(command="start", description="开始 / 使用说明"),
    BotCommand(command="my", description="我的上报"),
    BotCommand(command="tasks", description="我的待办（网格员、单位）"),
    BotCommand(command="cancel", description="取消当前操作"),
    BotCommand(command="help", description="帮助"),
]


# aiogram checks every answer with `Response[method.__returning__]`; pydantic caches those
# generic models weakly and rebuilds one (~10 ms) whenever the cache let it go. Keep them.
_PINNED: list[Any] = []


def pin_response_models() -> None:
    if _PINNED:
        return
    from aiogram import methods
    from aiogram.methods.base import Response

    for name in (
        "GetUpdates",
        "GetMe",
        "SendMessage",
        "SendPhoto",
        "SendMediaGroup",
        "SendLocation",
        "EditMessageText",
        "EditMessageReplyMarkup",
        "EditMessageCaption",
        "AnswerCallbackQuery",
        "SetMyCommands",
        "DeleteWebhook",
        "SetWebhook",
        "GetFile",
        "SendChatAction",
        "DeleteMessage",
    ):
        method = getattr(methods, name, None)
        if method is not None:
            _PINNED.append(Response[method.__returning__])  # type: ignore[name-defined]


def settle_heap() -> None:
    """For a long-running bot process, once started: move what start-up built (modules,
    the NLU model, the registry, pydantic's schemas) out of the garbage collector's way
    (`gc.freeze`), and collect the young generation less often. A full collection walked
    all of that every time (~150 ms each); freezing cut the bot's CPU per report in
    `gridbot bench bot` by roughly a tenth. Not for tests that build many runtimes: frozen
    objects are never collected."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def make_bot(token: str, api_base: str | None = None, *, timeout: float = 30.0) -> Bot:
    """A Bot on Telegram, or on any Bot API server (the sandbox) through the same client."""
    session = JsonAiohttpSession(timeout=timeout)
    if api_base and api_base.rstrip("/") != TELEGRAM_PUBLIC_API:
        session = JsonAiohttpSession(api=TelegramAPIServer.from_base(api_base.rstrip("/")), timeout=timeout)
    return Bot(token=token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def make_storage(redis_url: str | None, prefix: str = "fsm") -> tuple[BaseStorage, BaseEventIsolation]:
    """Memory by default; Redis (state survives restarts, shared by replicas) when configured.
    Updates of one chat+user are handled one at a time, so a step never races the next."""
    if redis_url:
        from aiogram.fsm.storage.base import DefaultKeyBuilder
        from aiogram.fsm.storage.redis import RedisStorage

        storage = RedisStorage.from_url(redis_url, key_builder=DefaultKeyBuilder(prefix=prefix))
        return storage, storage.create_isolation()
    return MemoryStorage(), SimpleEventIsolation()


async def on_error(event: ErrorEvent, commands: Commands) -> bool:
    """Last line: log, tell the person something sensible, never crash the poller."""
    exc, update = event.exception, event.update
    if isinstance(exc, TelegramForbiddenError):
        user = update.message or update.callback_query
        if user is not None and user.from_user is not None:
            await commands.set_blocked(user.from_user.id, True)
        log.info("update %s: user blocked the bot", update.update_id)
        return True
    log.exception("update %s failed", update.update_id, exc_info=exc)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.ALERT_BUSY, show_alert=True)
        elif update.message is not None and update.message.chat.type == "private":
            await update.message.answer(texts.ERROR_REPLY)
    except Exception as reply_exc:  # the reply may fail for the same reason
        log.info("error reply failed: %s", reply_exc)
    return True


@dataclass
class BotRuntime:
    app: App
    bot: Bot
    dp: Dispatcher
    relay: OutboxRelay
    transcript: Transcript
    commands: Commands
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(
        self, *, polling: bool = True, relay: bool = True, polling_timeout: int = 10, announce: bool = True
    ) -> None:
        """Polling (or not: a webhook, or updates fed by the parent of sharded workers), the
        relay (or not: one process runs it), and the bot's command menu (`announce`)."""
        self.transcript.start()
        me = await self.bot.me()
        log.info("bot @%s (%s) starting", me.username, me.id)
        if announce:
            try:
                await self.bot.set_my_commands(COMMANDS)
            except Exception as exc:  # cosmetic
                log.info("setMyCommands failed: %s", exc)
        if relay:
            self.tasks.append(asyncio.create_task(self.relay.run(self._stop), name="relay"))
        if polling:
            await self.bot.delete_webhook(drop_pending_updates=False)
            self.tasks.append(
                asyncio.create_task(
                    self.dp.start_polling(
                        self.bot,
                        handle_signals=False,
                        close_bot_session=False,
                        polling_timeout=polling_timeout,
                        allowed_updates=self.dp.resolve_used_update_types(),
                    ),
                    name="polling",
                )
            )

    async def stop(self) -> None:
        self._stop.set()
        self.relay.kick()
        for t in self.tasks:
            if t.get_name() == "polling":
                if self.dp._running_lock.locked():
                    try:
                        await self.dp.stop_polling()
                    except RuntimeError:
                        t.cancel()
                else:
                    t.cancel()
        for t in self.tasks:
            try:
                await asyncio.wait_for(t, 15)
            except (asyncio.CancelledError, TimeoutError):
                t.cancel()
            except Exception:
                log.exception("task %s ended with an error", t.get_name())
        self.tasks.clear()
        # Updates already taken from Telegram finish before their storage closes: a handler
        # cut off here would leave its FSM lock held in Redis (and the next update of that
        # chat waiting for the lock to time out).
        in_flight = list(getattr(self.dp, "_handle_update_tasks", ()))
        if in_flight:
            _, pending = await asyncio.wait(in_flight, timeout=15)
            for t in pending:
                log.warning("update handler still running at stop: cancelled")
                t.cancel()
        await self.dp["debouncer"].close()
        await self.transcript.stop()
        await self.dp.fsm.close()  # storage and event isolation
        await self.bot.session.close()


def build_runtime(
    app: App,
    nlu: Classifier,
    *,
    token: str,
    api_base: str | None = None,
    channel: str = "telegram",
    redis_url: str | None = None,
    fsm_prefix: str = "fsm",
    relay_concurrency: int = 16,
) -> BotRuntime:
    pin_response_models()
    gate = WriteGate.for_url(app.settings.effective_database_url)
    bot = make_bot(token, api_base)
    storage, isolation = make_storage(
        redis_url if redis_url is not None else app.settings.redis_url, fsm_prefix
    )
    dp = Dispatcher(storage=storage, events_isolation=isolation)
    # aiogram closes the FSM storage as soon as polling stops, while handlers already running
    # may still need it (a Redis lock to release). BotRuntime.stop closes it after them.
    dp.shutdown.handlers = [h for h in dp.shutdown.handlers if h.callback != dp.fsm.close]
    transcript = Transcript(app, gate)
    relay = OutboxRelay(app, bot, gate, concurrency=relay_concurrency)
    people = People(app)
    commands = Commands(app, gate, people, wake_relay=relay.kick, channel=channel)
    bot.session.middleware(OutboundMiddleware(transcript))
    inbound = InboundMiddleware(transcript, app)
    dp.message.outer_middleware(inbound)
    dp.edited_message.outer_middleware(inbound)
    dp.callback_query.outer_middleware(inbound)
    dp["app"] = app
    dp["nlu"] = nlu
    dp["commands"] = commands
    dp["people"] = people
    dp["transcript"] = transcript
    dp["relay"] = relay
    dp["debouncer"] = Debouncer()
    dp["ask_threshold"] = ask_threshold()
    dp.errors.register(on_error)
    dp.include_routers(*all_routers())
    return BotRuntime(app, bot, dp, relay, transcript, commands)


async def serve_webhook(runtime: BotRuntime, url: str, listen: str, secret: str | None) -> None:
    """Webhook mode: Telegram posts updates to `url`; we listen on `listen` (host:port)."""
    from urllib.parse import urlparse

    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
    from aiohttp import web

    await runtime.start(polling=False)
    web_app = web.Application()
    path = urlparse(url).path or "/"
    SimpleRequestHandler(dispatcher=runtime.dp, bot=runtime.bot, secret_token=secret).register(
        web_app, path=path
    )
    setup_application(web_app, runtime.dp, bot=runtime.bot)
    await runtime.bot.set_webhook(
        url, secret_token=secret, allowed_updates=runtime.dp.resolve_used_update_types()
    )
    host, _, port = listen.rpartition(":")
    web_runner = web.AppRunner(web_app)
    await web_runner.setup()
    await web.TCPSite(web_runner, host or "0.0.0.0", int(port)).start()
    log.info("webhook %s, listening on %s", url, listen)
    try:
        await asyncio.Event().wait()
    finally:
        await web_runner.cleanup()
