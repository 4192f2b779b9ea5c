"""The webhook endpoint: only Telegram (with the secret token) gets in, and a bad body is
refused or skipped, never a 500 that Telegram would re-send forever.

* a wrong or missing `X-Telegram-Bot-Api-Secret-Token`: 401, not handled;
* a body that is not a JSON object with an `update_id`: 400;
* an update that does not fit the Bot API schema: logged, answered 200 and skipped;
* anything else is handled first and answered 200 when its handler has finished, at most
  `HANDLING_AT_ONCE` at a time in a process (the others wait for a turn).

Answering only after handling is what keeps updates at least once: a worker killed while
handling never answered, so Telegram posts the update again (to another worker behind the
proxy). And it keeps a burst within the process's database and Redis connections: Telegram
holds at most `max_connections` posts open per bot, and a worker that is busy answers later
instead of starting hundreds of handlers that then fail on a full connection pool (an update
answered at once and failing afterwards was lost)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets as _secrets
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.unreadable import read_update

log = logging.getLogger("bot")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_FILE = "webhook-secret"
HANDLING_AT_ONCE = 16  # below the database pool (10 + 10 overflow) of a process


def check_request_secret(request: web.Request, secret: str) -> bool:
    return _secrets.compare_digest(request.headers.get(SECRET_HEADER, ""), secret)


async def read_body(request: web.Request) -> dict[str, Any] | web.Response:
    """The update's JSON object, or the 400 answer for a body that is not one."""
    try:
        raw = await request.json(loads=json.loads)
    except ValueError:
        return web.Response(status=400, text="not JSON")
    if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
        return web.Response(status=400, text="not an update")
    return raw


def load_or_create_secret(data_dir: Path) -> tuple[str, Path]:
    """The webhook secret kept in the data directory (made on first use, readable by its
    owner only), and where it is."""
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        draft = data_dir / f".{SECRET_FILE}.{os.getpid()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_secrets.token_urlsafe(32) + "\n")  # A-Z a-z 0-9 _ -: what Telegram allows
        try:
            os.link(draft, path)  # atomic: two processes starting at once keep the same one
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    secret = path.read_text("utf-8").strip()
    if not secret:
        raise ValueError(f"{path} is empty: delete it to make a new secret, or set GRIDBOT_WEBHOOK_SECRET")
    return secret, path


class CheckedRequestHandler(SimpleRequestHandler):
    def __init__(self, dispatcher: Dispatcher, bot: Bot, secret_token: str, **data: Any) -> None:
        if not secret_token:
            raise ValueError("a webhook needs a secret token")
        super().__init__(dispatcher=dispatcher, bot=bot, secret_token=secret_token, **data)
        self._turns = asyncio.Semaphore(HANDLING_AT_ONCE)

    async def _feed(self, bot: Bot, raw: dict[str, Any]) -> None:
        update = read_update(raw, bot)
        if update is None:
            return
        try:
            result = await self.dispatcher.feed_update(bot, update, **self.data)
        except Exception:
            log.exception("update %s failed", update.update_id)
            return
        if isinstance(result, TelegramMethod):
            await self.dispatcher.silent_call_request(bot=bot, result=result)

    async def handle(self, request: web.Request) -> web.Response:
        bot = await self.resolve_bot(request)
        assert self.secret_token is not None
        if not check_request_secret(request, self.secret_token):
            return web.Response(status=401, text="Unauthorized")
        body = await read_body(request)
        if isinstance(body, web.Response):
            return body
        async with self._turns:
            # A task, so that a post whose connection is closed meanwhile still finishes its
            # handler (aiohttp cancels the request's own coroutine).
            task = asyncio.create_task(self._feed(bot, body))
            self._background_feed_update_tasks.add(task)
            task.add_done_callback(self._background_feed_update_tasks.discard)
            await asyncio.shield(task)
        return web.json_response({})

    __call__ = handle
