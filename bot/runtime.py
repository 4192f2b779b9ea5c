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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramForbiddenError
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    BotCommandScopeUnion,
    ErrorEvent,
)
from aiogram.utils.backoff import BackoffConfig

import texts
from bot.delivery.relay import OutboxRelay
from bot.deps import Classifier, Commands, Debouncer, People, WriteGate
from bot.flood import FloodGuard, FloodLimits, FloodMiddleware, MemoryBuckets, RedisBuckets
from bot.nlu import ask_threshold
from bot.observe import TimedClassifier, UpdateObserver
from bot.pending import AskAgain, PendingPrompts
from bot.retry import (
    Backoff,
    HandlerCalls,
    RetryMiddleware,
    RetryPolicy,
    StartupError,
    is_transient,
    until_ready,
)
from bot.routers import all_routers
from bot.session import JsonAiohttpSession
from bot.transcript import InboundMiddleware, OutboundMiddleware, Transcript
from bot.unreadable import SkipUnreadable
from dispatch.service.app import App
from dispatch.settings import TELEGRAM_PUBLIC_API

log = logging.getLogger("bot")
T = TypeVar("T")

def _commands(menu: dict[str, str]) -> list[BotCommand]:
    return [BotCommand(command=name, description=text) for name, text in menu.items()]


def command_menus(dispatch_chat_id: int | None) -> list[tuple[list[BotCommand], BotCommandScopeUnion]]:
    """The "/" menu per kind of chat: what a private chat answers, what a unit's group answers
    (/tasks, /help), and the dispatchers' group's own. The default scope gets the private one
    (a client that knows no scope shows that)."""
    menus: list[tuple[list[BotCommand], BotCommandScopeUnion]] = [
        (_commands(texts.COMMANDS_PRIVATE), BotCommandScopeDefault()),
        (_commands(texts.COMMANDS_PRIVATE), BotCommandScopeAllPrivateChats()),
        (_commands(texts.COMMANDS_UNIT_GROUP), BotCommandScopeAllGroupChats()),
    ]
    if dispatch_chat_id is not None:
        dispatchers = BotCommandScopeChat(chat_id=dispatch_chat_id)
        menus.append((_commands(texts.COMMANDS_DISPATCH_GROUP), dispatchers))
    return menus


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
    transient = is_transient(exc)
    if transient:  # Telegram failing: the undelivered question is asked again on the person's
        # next message (bot/pending.py), no apology in between
        log.warning("update %s: a reply could not be delivered (%s: %s)", update.update_id,
                    type(exc).__name__, exc)
    else:
        log.exception("update %s failed", update.update_id, exc_info=exc)
    try:
        if update.callback_query is not None:  # the press must not spin: one try
            await update.callback_query.answer(texts.ALERT_BUSY, show_alert=True)
        elif not transient and update.message is not None and update.message.chat.type == "private":
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
    retry: RetryMiddleware
    handling: HandlerCalls
    startup: Backoff = field(default_factory=Backoff)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(
        self, *, polling: bool = True, relay: bool = True, polling_timeout: int = 10, announce: bool = True
    ) -> None:
        """Polling (or not: a webhook, or updates fed by the parent of sharded workers), the
        relay (or not: one process runs it), and the bot's command menu (`announce`)."""
        self.transcript.start()
        me = await self.ready(self.bot.me, "getMe")
        log.info("bot @%s (%s) starting", me.username, me.id)
        if announce:
            await self.announce_commands()
        if relay:
            self.tasks.append(asyncio.create_task(self.relay.run(self._stop), name="relay"))
        if polling:
            await self.ready(lambda: self.bot.delete_webhook(drop_pending_updates=False), "deleteWebhook")
            self.tasks.append(
                asyncio.create_task(
                    self.dp.start_polling(
                        self.bot,
                        handle_signals=False,
                        close_bot_session=False,
                        polling_timeout=polling_timeout,
                        allowed_updates=self.dp.resolve_used_update_types(),
                        backoff_config=self.polling_backoff(),
                    ),
                    name="polling",
                )
            )

    async def announce_commands(self) -> None:
        for menu, scope in command_menus(self.app.registry.dispatch_chat_id):
            try:
                await self.ready(partial(self.bot.set_my_commands, menu, scope=scope), "setMyCommands")
            except StartupError as exc:  # cosmetic
                log.info("setMyCommands (%s) failed: %s", scope.type, exc)

    async def ready(self, call: Callable[[], Awaitable[T]], what: str) -> T:
        """A start-up call, retried until it succeeds (StartupError: the token is refused)."""
        return await until_ready(call, what, self.startup)

    def polling_backoff(self) -> BackoffConfig:
        """aiogram's wait after a failed getUpdates, from the start-up backoff."""
        first = self.startup.backoff_s
        return BackoffConfig(min_delay=first, max_delay=max(first, min(self.startup.max_backoff_s, 5.0)),
                             factor=1.3, jitter=0.1)

    async def _confirm_handled(self) -> None:
        """Tell the Bot API the updates handed to the dispatcher are done (aiogram confirms
        a batch only with its next getUpdates): a restart does not handle them again. Every
        update up to that id was handed over, in order."""
        last = self.handling.last_update_id
        if last is None:
            return
        try:
            await self.bot.get_updates(offset=last + 1, limit=1, timeout=0)
        except Exception as exc:  # the next start gets them again (at least once)
            log.info("could not confirm the last updates: %s", exc)

    async def stop(self) -> None:
        self._stop.set()
        self.relay.kick()
        polled = any(t.get_name() == "polling" for t in self.tasks)
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
        if polled:
            await self._confirm_handled()
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
    retry: RetryPolicy | None = None,
    startup: Backoff | None = None,
    flood: FloodLimits | None = None,
) -> BotRuntime:
    """`retry`: how long a handler's Bot API call is retried (bot/retry.py); `startup`: the
    backoff of start-up calls and of getUpdates; `flood`: the incoming flood limits (default:
    from the settings; see `bot.flood`)."""
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
    pending = PendingPrompts(storage)
    retrying = RetryMiddleware(retry, on_give_up=pending.remember)
    bot.session.middleware(retrying)  # outermost: each attempt passes the transcript's
    bot.session.middleware(OutboundMiddleware(transcript))
    guard = FloodGuard(
        flood or FloodLimits(app.settings.flood_per_second, app.settings.flood_burst),
        RedisBuckets(storage.redis, f"{fsm_prefix}:flood") if hasattr(storage, "redis") else MemoryBuckets(),
    )
    inbound = InboundMiddleware(transcript, app)
    # The flood check comes before aiogram's FSM middleware (and its per-person lock).
    dp.update.outer_middleware.unregister(dp.fsm)
    dp.update.outer_middleware(UpdateObserver())  # outermost: update id, counts, latency
    dp.update.outer_middleware(FloodMiddleware(guard, inbound.store_limited))
    dp.update.outer_middleware(dp.fsm)
    handling = HandlerCalls()
    dp.update.outer_middleware(handling)
    dp.update.outer_middleware(SkipUnreadable())
    dp.message.outer_middleware(inbound)
    dp.edited_message.outer_middleware(inbound)
    dp.callback_query.outer_middleware(inbound)
    ask_again = AskAgain()
    dp.message.outer_middleware(ask_again)
    dp.callback_query.outer_middleware(ask_again)
    dp["app"] = app
    dp["nlu"] = TimedClassifier(nlu)
    dp["commands"] = commands
    dp["people"] = people
    dp["transcript"] = transcript
    dp["relay"] = relay
    dp["debouncer"] = Debouncer()
    dp["flood"] = guard
    dp["ask_threshold"] = ask_threshold()
    dp.errors.register(on_error)
    dp.include_routers(*all_routers())
    return BotRuntime(app, bot, dp, relay, transcript, commands, retrying, handling, startup or Backoff())


async def serve_webhook(
    runtime: BotRuntime, url: str, listen: str, secret: str, *, relay: bool = True
) -> None:
    """Webhook mode: Telegram posts updates to `url`; we listen on `listen` (host:port). Only
    posts with the secret token are handled (bot/webhook.py). `relay=False`: the outbox relay
    runs in another process."""
    from urllib.parse import urlparse

    from aiogram.webhook.aiohttp_server import setup_application
    from aiohttp import web

    from bot.webhook import CheckedRequestHandler

    if not secret:
        raise StartupError("a webhook needs a secret token")
    await runtime.start(polling=False, relay=relay)
    web_app = web.Application()
    path = urlparse(url).path or "/"
    CheckedRequestHandler(runtime.dp, runtime.bot, secret).register(web_app, path=path)
    setup_application(web_app, runtime.dp, bot=runtime.bot)
    host, _, port = listen.rpartition(":")
    web_runner = web.AppRunner(web_app)
    await web_runner.setup()
    await web.TCPSite(web_runner, host or "0.0.0.0", int(port)).start()
    try:
        allowed = runtime.dp.resolve_used_update_types()
        await runtime.ready(
            lambda: runtime.bot.set_webhook(url, secret_token=secret, allowed_updates=allowed), "setWebhook"
        )
        log.info("webhook %s, listening on %s", url, listen)
        await asyncio.Event().wait()
    finally:
        await web_runner.cleanup()
