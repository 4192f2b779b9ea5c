"""Questions that could not be delivered are asked again.

When a handler's message to a person still fails after its retries (bot/retry.py), the call
is remembered in that person's FSM data; their next message or press gets it again instead
of being handled as an answer to a question they never saw (a command still runs as
usual). What they sent before is in the draft and the transcript: nothing is lost."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, methods
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.methods import TelegramMethod
from aiogram.types import CallbackQuery, Message

from bot.routers.common import could_be_command

log = logging.getLogger("bot.retry")

PENDING = "_pending"  # FSM data key: [[method class name, JSON parameters], …]
MAX_PENDING = 5
ASKABLE = frozenset({
    "SendMessage", "SendPhoto", "SendLocation", "EditMessageText", "EditMessageCaption",
    "EditMessageReplyMarkup",
})


class PendingPrompts:
    """Remembers undelivered calls to private chats in the FSM storage."""

    def __init__(self, storage: BaseStorage) -> None:
        self.storage = storage
        self.remembered = 0

    async def remember(self, bot: Any, method: TelegramMethod[Any], exc: BaseException) -> None:
        name = type(method).__name__
        chat_id = getattr(method, "chat_id", None)
        if name not in ASKABLE or not isinstance(chat_id, int) or chat_id <= 0:
            return  # a group, an inline message, a callback answer: nothing to ask again
        payload = bot.session.json_payload(bot, method) if hasattr(bot.session, "json_payload") else None
        if payload is None:
            return  # an upload: cannot be kept
        key = StorageKey(bot_id=bot.id, chat_id=chat_id, user_id=chat_id)
        try:
            data = await self.storage.get_data(key)
            queued = list(data.get(PENDING) or [])[-(MAX_PENDING - 1):]
            queued.append([name, payload])
            await self.storage.set_data(key, {**data, PENDING: queued})
        except Exception:  # the storage is down too: the person's next message starts afresh
            log.exception("could not remember an undelivered %s to %s", name, chat_id)
            return
        self.remembered += 1
        log.info("undelivered %s to %s: asked again on the next message", name, chat_id)


def rebuild(name: str, payload: dict[str, Any]) -> TelegramMethod[Any]:
    cls = getattr(methods, name)
    method: TelegramMethod[Any] = cls.model_validate(payload)
    return method


class AskAgain(BaseMiddleware):
    """Message and callback middleware (after the transcript's): a person with a pending
    question gets it again; their update is recorded, not handled (commands are)."""

    async def __call__(
        self,
        handler: Callable[[Any, dict[str, Any]], Awaitable[Any]],
        event: Any,
        data: dict[str, Any],
    ) -> Any:
        state: FSMContext | None = data.get("state")
        if state is None:
            return await handler(event, data)
        fsm = await state.get_data()
        queued = fsm.get(PENDING)
        if not queued:
            return await handler(event, data)
        del fsm[PENDING]
        await state.set_data(fsm)
        if isinstance(event, Message) and could_be_command(event):
            return await handler(event, data)
        if isinstance(event, CallbackQuery):
            try:
                await event.answer()
            except TelegramAPIError as exc:
                log.info("callback answer before asking again failed: %s", exc)
        bot = data["bot"]
        for name, payload in queued:
            await bot(rebuild(name, payload))  # fails again: remembered again (RetryMiddleware)
        return None
