"""Webhook delivery: POST each pending update to the bot's URL, as Telegram does.

Updates of one chat are delivered one at a time and in order; different chats in parallel up
to ``max_connections``. A failed delivery is retried with exponential backoff and recorded in
getWebhookInfo's ``last_error_*``. A JSON reply carrying ``"method"`` is executed as a Bot API
call, like Telegram's "reply to the webhook" feature.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import TYPE_CHECKING, Any

import aiohttp

from .errors import BotAPIError
from .params import Params

if TYPE_CHECKING:
    from .botapi import BotAPI

log = logging.getLogger(__name__)


def _chat_of(update: dict[str, Any]) -> Any:
    for kind, payload in update.items():
        if kind == "update_id" or not isinstance(payload, dict):
            continue
        chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
        if chat:
            return chat.get("id")
        sender = payload.get("from") or {}
        return ("user", sender.get("id"))
    return None


class WebhookWorker:
    def __init__(self, api: BotAPI, timeout: float = 10.0) -> None:
        self.api = api
        self.world = api.world
        self.timeout = timeout
        self._inflight: dict[int, Any] = {}
        self._due: dict[int, float] = {}
        self._attempts: dict[int, int] = {}
        self._kick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="sandbox-webhook")

    async def stop(self) -> None:
        for task in [self._task, *self._tasks]:
            if task is not None:
                task.cancel()
        for task in [self._task, *self._tasks]:
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._task = None
        if self._session is not None:
            await self._session.close()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            changed = self.world.updates.changed  # taken before scheduling: no lost wake-up
            self._kick.clear()
            next_due = self._schedule(loop.time())
            waiters = [asyncio.ensure_future(changed.wait()),
                       asyncio.ensure_future(self._kick.wait())]
            try:
                await asyncio.wait(waiters, timeout=next_due,
                                   return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()

    def _schedule(self, now: float) -> float:
        """Start what can be delivered now; return seconds until a retry is due."""
        settings = self.world.webhook
        if settings is None:
            return 60.0
        busy: set[Any] = set(self._inflight.values())
        next_due = 60.0
        for update_id, update in self.world.updates.pending.items():
            key = _chat_of(update)
            if key in busy:
                continue
            due = self._due.get(update_id, 0.0)
            if update_id in self._inflight or due > now:
                busy.add(key)
                if due > now:
                    next_due = min(next_due, due - now)
                continue
            if len(self._inflight) >= settings.max_connections:
                break
            busy.add(key)
            self._inflight[update_id] = key
            task = asyncio.create_task(self._deliver(update))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return max(next_due, 0.01)

    async def _deliver(self, update: dict[str, Any]) -> None:
        update_id = update["update_id"]
        settings = self.world.webhook
        error: str | None = None
        try:
            if settings is None:
                return
            if self._session is None:
                self._session = aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=self.timeout))
            headers = {"Content-Type": "application/json"}
            if settings.secret_token:
                headers["X-Telegram-Bot-Api-Secret-Token"] = settings.secret_token
            body = json.dumps(update, ensure_ascii=False).encode()
            async with self._session.post(settings.url, data=body, headers=headers) as resp:
                raw = await resp.read()
                if 200 <= resp.status < 300:
                    self.world.updates.remove(update_id)
                    self._due.pop(update_id, None)
                    self._attempts.pop(update_id, None)
                    self.world.bot_last_seen = self.world.clock()
                    await self._reply_method(raw)
                else:
                    error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # connection refused, timeout, ...
            error = f"Connection failed: {type(exc).__name__}"
        finally:
            self._inflight.pop(update_id, None)
            if error and settings is not None:
                attempts = self._attempts.get(update_id, 0) + 1
                self._attempts[update_id] = attempts
                delay = min(60.0, self.world.config.webhook_retry_base * 2 ** (attempts - 1))
                self._due[update_id] = asyncio.get_running_loop().time() + delay
                settings.last_error_date = self.world.now()
                settings.last_error_message = error
            self._kick.set()

    async def _reply_method(self, raw: bytes) -> None:
        if not raw:
            return
        try:
            body = json.loads(raw)
        except ValueError:
            return
        if not isinstance(body, dict) or not isinstance(body.get("method"), str):
            return
        method = body.pop("method")
        try:
            await self.api.call(method, Params(body))
        except BotAPIError as error:
            log.info("webhook reply %s failed: %s", method, error.description)
