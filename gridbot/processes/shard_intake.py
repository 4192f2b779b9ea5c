"""Where the parent of the bot workers gets updates: long polling or a webhook.

The updates stay JSON (dicts) here: the parent only reads who sent each one and passes it
on; the worker parses it into aiogram's types. getUpdates goes through the bot's own aiogram
session (its aiohttp client, its API server and token), and an error answer is turned into
aiogram's exceptions by aiogram's `check_response`."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramConflictError, TelegramUnauthorizedError
from aiogram.methods import GetUpdates
from aiohttp import ClientTimeout

from gridbot.processes.shards import DROPPED, UNFINISHED, ShardError, ShardPool

log = logging.getLogger("gridbot.processes.shards")
BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)


async def get_updates_raw(bot: Bot, params: dict[str, Any], wait_s: float) -> list[dict[str, Any]]:
    session = bot.session
    http = await session.create_session()  # type: ignore[attr-defined]
    url = session.api.api_url(token=bot.token, method="getUpdates")
    async with http.post(url, json=params, timeout=ClientTimeout(total=wait_s + session.timeout)) as resp:
        content = await resp.text()
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    ok = resp.status == 200 and isinstance(data, dict) and data.get("ok")
    if ok and isinstance(data, dict) and isinstance(data.get("result"), list):
        return [u for u in data["result"] if isinstance(u, dict) and isinstance(u.get("update_id"), int)]
    # aiogram's own error mapping (400, 401, 409, 429 with retry_after, 5xx…); raises
    session.check_response(bot=bot, method=GetUpdates(**params), status_code=resp.status, content=content)
    raise RuntimeError(f"getUpdates: unexpected answer ({resp.status})")


async def poll_into(
    bot: Bot,
    pool: ShardPool,
    stop: asyncio.Event,
    *,
    polling_timeout: int = 10,
    allowed_updates: list[str] | None = None,
) -> None:
    """Long polling until `stop`; each update goes to its worker. An update is confirmed to
    the Bot API (the next call's offset) once it is queued for its worker — as aiogram's own
    polling confirms an update before handling it — not when the worker finished it: a crash
    of the parent can lose what was queued. On the way out the last offset is confirmed, so a
    restart does not get the same updates again."""
    params: dict[str, Any] = {"timeout": polling_timeout}
    if allowed_updates is not None:
        params["allowed_updates"] = allowed_updates
    confirmed: int | None = None
    failures = 0
    stopping = asyncio.create_task(stop.wait())
    try:
        while not stop.is_set():
            fetch = asyncio.create_task(get_updates_raw(bot, dict(params), polling_timeout))
            await asyncio.wait([fetch, stopping], return_when=asyncio.FIRST_COMPLETED)
            if not fetch.done():
                fetch.cancel()
                break
            try:
                updates = fetch.result()
            except TelegramUnauthorizedError:
                log.error("getUpdates: the bot token was refused; polling stops")
                raise
            except Exception as exc:  # network, 5xx, 409 (another poller), 429
                delay = float(getattr(exc, "retry_after", 0) or BACKOFF_S[min(failures, len(BACKOFF_S) - 1)])
                failures += 1
                level = logging.ERROR if isinstance(exc, TelegramConflictError) else logging.WARNING
                log.log(level, "getUpdates failed (%s: %s); again in %.0f s", type(exc).__name__, exc, delay)
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                except TimeoutError:
                    pass
                continue
            if failures:
                log.info("getUpdates works again after %d failures", failures)
                failures = 0
            confirmed = params.get("offset")
            for update in updates:
                pool.route(update)
                params["offset"] = update["update_id"] + 1
    finally:
        stopping.cancel()
        if params.get("offset") is not None and params.get("offset") != confirmed:
            try:  # confirm what was handed over (no wait, nothing taken)
                await get_updates_raw(bot, {"offset": params["offset"], "limit": 1, "timeout": 0}, 0)
            except Exception as exc:
                log.info("could not confirm the last updates: %s", exc)


async def serve_webhook_into(
    bot: Bot,
    pool: ShardPool,
    url: str,
    listen: str,
    secret: str,
    stop: asyncio.Event,
    allowed_updates: list[str] | None = None,
    ready: Any = None,
    drain: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Webhook mode with workers: Telegram's POST (only with the secret token; a body that is
    not an update: 400) is answered when its worker has finished the update — 200 — so a
    crash of the parent or the worker before that leaves it unanswered and Telegram posts it
    again. A worker that dies mid-update: its restart handles it, then the POST is answered.
    An update dropped after repeated worker deaths: 200 (logged as an error when dropped;
    Telegram would post a poison update forever). Unfinished when the pool stops: 503.

    At most `HANDLING_AT_ONCE` updates per worker are in flight (as bot/webhook.py does per
    process); further posts wait for a turn. On `stop` the listener closes, `drain()` (the
    pool's stop: the workers finish what they have) runs while the open posts wait for their
    answers, then the server closes. `ready(call, what)` retries start-up calls (the
    runtime's)."""
    from urllib.parse import urlparse

    from aiohttp import web

    from bot.webhook import HANDLING_AT_ONCE, check_request_secret, read_body

    if not secret:
        raise ValueError("a webhook needs a secret token")
    path = urlparse(url).path or "/"
    turns = {w.index: asyncio.Semaphore(HANDLING_AT_ONCE) for w in pool.workers}

    async def receive(request: web.Request) -> web.Response:
        if not check_request_secret(request, secret):
            return web.Response(status=401, text="bad secret token")
        update = await read_body(request)
        if isinstance(update, web.Response):
            return update
        async with turns[pool.worker_of(update).index]:
            # shielded: a post whose connection closes meanwhile leaves the update in flight
            outcome = await asyncio.shield(pool.route(update))
        if outcome == UNFINISHED:
            log.warning("update %s unfinished at stop: not confirmed", update["update_id"])
            return web.Response(status=503, text="stopping; not handled")
        if outcome == DROPPED:
            log.error("update %s answered 200 after it was dropped", update["update_id"])
        return web.Response()

    web_app = web.Application(client_max_size=4 * 1024 * 1024)
    web_app.router.add_post(path, receive)
    runner = web.AppRunner(web_app)
    await runner.setup()
    host, _, port = listen.rpartition(":")
    site = web.TCPSite(runner, host or "0.0.0.0", int(port))
    await site.start()
    try:
        def set_webhook() -> Any:
            return bot.set_webhook(url, secret_token=secret, allowed_updates=allowed_updates)

        await (ready(set_webhook, "setWebhook") if ready is not None else set_webhook())
        log.info("webhook %s, listening on %s, %d workers", url, listen, len(pool.workers))
        await stop.wait()
    finally:
        await site.stop()  # no new posts; the open ones wait for their updates' outcomes
        if drain is not None:
            await drain()
        await runner.cleanup()


class ShardedBot:
    """The parent of `n` bot workers: its runtime (relay, transcript, the command menu),
    the pool, and the intake (long polling, or the webhook) feeding it."""

    def __init__(
        self, runtime: Any, pool: ShardPool, intake: asyncio.Task[None], stop: asyncio.Event
    ) -> None:
        self.runtime = runtime
        self.pool = pool
        self.intake = intake
        self._stop = stop
        self._stopped = False

    @classmethod
    async def start(
        cls,
        runtime: Any,
        workers: int,
        *,
        settings: Any,
        token: str,
        api_base: str | None,
        channel: str,
        nlu: str = "model",
        webhook: str | None = None,
        listen: str = "0.0.0.0:8080",
        webhook_secret: str | None = None,
        polling_timeout: int = 10,
    ) -> ShardedBot:
        if webhook and not webhook_secret:
            raise ShardError("a webhook needs a secret token")
        await runtime.start(polling=False)  # the relay and the menu: once, here
        pool = ShardPool(
            workers, settings=settings, token=token, api_base=api_base, channel=channel,
            on_kick=runtime.relay.kick, nlu=nlu,
        )
        await pool.start()
        stop = asyncio.Event()
        allowed = runtime.dp.resolve_used_update_types()
        if webhook:
            assert webhook_secret is not None
            coro = serve_webhook_into(
                runtime.bot, pool, webhook, listen, webhook_secret, stop, allowed, runtime.ready,
                drain=pool.stop,
            )
        else:
            await runtime.ready(
                lambda: runtime.bot.delete_webhook(drop_pending_updates=False), "deleteWebhook"
            )
            coro = poll_into(
                runtime.bot, pool, stop, polling_timeout=polling_timeout, allowed_updates=allowed
            )
        return cls(runtime, pool, asyncio.create_task(coro, name="shard-intake"), stop)

    async def stop(self) -> None:
        """Stop taking updates, let the workers finish theirs, stop them. The runtime is the
        caller's to stop."""
        if self._stopped:
            return
        self._stopped = True
        self._stop.set()
        try:
            await self.intake
        except Exception:
            log.exception("the update intake ended with an error")
        await self.pool.stop()
