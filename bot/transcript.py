"""The transcript: every message in and out, written with group commit.

`Transcript.add` queues a row and waits until the batch it joined is committed (so what a
resident sent is stored before the bot answers); concurrent handlers share one transaction.
Outgoing messages are recorded by a request middleware on the bot's session, fire-and-forget;
`current_case` (a context variable) tells it which case a message is about."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import SendLocation, SendMediaGroup, SendMessage, SendPhoto, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot import keyboards as kb
from bot.deps import WriteGate
from dispatch.service import transcript as store
from dispatch.service.app import App

log = logging.getLogger(__name__)

current_case: contextvars.ContextVar[int | None] = contextvars.ContextVar("current_case", default=None)
MAX_BATCH = 500


class Transcript:
    def __init__(self, app: App, gate: WriteGate) -> None:
        self.app = app
        self.gate = gate
        self._queue: list[tuple[dict[str, Any], asyncio.Future[int | None] | None]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._links: list[tuple[int, int, int]] = []
        self.written = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="transcript")

    async def stop(self) -> None:
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def add(self, **row: Any) -> int | None:
        """Queue a row and wait for its id (None if the database refused it: logged)."""
        if self._task is None:
            self.start()
        fut: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._queue.append((self._complete(row), fut))
        self._wake.set()
        return await fut

    def add_nowait(self, **row: Any) -> None:
        if self._task is None:
            self.start()
        self._queue.append((self._complete(row), None))
        self._wake.set()

    def link_nowait(self, chat_id: int, first_id: int, case_id: int) -> None:
        """Every unlinked message of `chat_id` from `first_id` on belongs to `case_id` (the
        bot's own replies during the report: the resident's messages are linked by submit)."""
        if self._task is None:
            self.start()
        self._links.append((chat_id, first_id, case_id))
        self._wake.set()

    def _complete(self, row: dict[str, Any]) -> dict[str, Any]:
        row.setdefault("at", self.app.clock.now())
        row.setdefault("text", "")
        row.setdefault("file_ids", [])
        row.setdefault("payload", {})
        return row

    async def flush(self) -> None:
        while self._queue or self._links:
            await self._write(self._take())

    def _take(self) -> list[tuple[dict[str, Any], asyncio.Future[int | None] | None]]:
        batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        return batch

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue or self._links:
                await self._write(self._take())
            if self._closing:
                return

    async def _write(self, batch: list[tuple[dict[str, Any], asyncio.Future[int | None] | None]]) -> None:
        ids: list[int | None]
        links, self._links = self._links, []
        try:
            async with self.gate():
                async with self.app.uow() as uow:
                    ids = list(await store.add_many(uow, [r for r, _ in batch])) if batch else []
                    for chat_id, first_id, case_id in links:
                        await store.link_since(uow, chat_id, first_id, case_id)
                    await uow.commit()
            self.written += len(batch)
        except Exception:
            log.warning("transcript: batch of %d failed; storing one by one", len(batch), exc_info=True)
            ids = [await self._write_one(row) for row, _ in batch]
        for (_, fut), row_id in zip(batch, ids, strict=True):
            if fut is not None and not fut.done():
                fut.set_result(row_id)

    async def _write_one(self, row: dict[str, Any]) -> int | None:
        """One row on its own; a case that is not there (yet) is dropped from the row, the
        message is kept."""
        for attempt in (row, {**row, "case_id": None}):
            try:
                async with self.gate():
                    async with self.app.uow() as uow:
                        (row_id,) = await store.add_many(uow, [attempt])
                        await uow.commit()
                self.written += 1
                return row_id
            except Exception:
                if attempt.get("case_id") is None:
                    break
        log.exception(
            "transcript: message lost: chat %s %s %r",
            row.get("chat_id"),
            row.get("kind"),
            (row.get("text") or "")[:80],
        )
        return None


# -- what a message is ------------------------------------------------------------------------------
KINDS = (
    "text",
    "photo",
    "location",
    "venue",
    "document",
    "voice",
    "audio",
    "video",
    "video_note",
    "sticker",
    "animation",
    "contact",
    "poll",
    "dice",
)


def buttons_of(markup: Any) -> list[list[list[str]]] | bool:
    """The buttons a person saw, row by row, as [label, callback data] (a reply keyboard's
    buttons have no data: ""), so the console can show them and name what was pressed."""
    rows = getattr(markup, "inline_keyboard", None) or getattr(markup, "keyboard", None)
    if not rows:
        return True  # a keyboard without buttons (a removal, a forced reply)
    return [[[b.text, getattr(b, "callback_data", None) or ""] for b in row] for row in rows]


# Presses whose button names a case (unit card, return reason, rating, 核查): the press is
# stored with its case, like the messages of the report that made it.
_CASE_PRESSES: tuple[type[CallbackData], ...] = (
    kb.UnitCb, kb.ReturnCb, kb.RateCb, kb.SolvedCb, kb.RatingCb, kb.VerifyCb,
)


def case_of_press(data: str) -> int | None:
    prefix = data.split(":", 1)[0]
    for cls in _CASE_PRESSES:
        if cls.__prefix__ == prefix:
            try:
                return int(cls.unpack(data).case_id)  # type: ignore[attr-defined]
            except (TypeError, ValueError):
                return None
    return None


def message_row(message: Message, direction: str, case_id: int | None = None) -> dict[str, Any]:
    kind = next((k for k in KINDS if getattr(message, k, None)), "service")
    if message.venue:
        kind = "venue"
    file_ids: list[str] = []
    if message.photo:
        file_ids.append(message.photo[-1].file_id)
    for k in ("document", "voice", "audio", "video", "video_note", "sticker", "animation"):
        obj = getattr(message, k, None)
        if obj is not None:
            file_ids.append(obj.file_id)
    payload: dict[str, Any] = {}
    if message.location:
        payload.update(lat=message.location.latitude, lon=message.location.longitude)
    if message.media_group_id:
        payload["media_group_id"] = message.media_group_id
    if message.migrate_to_chat_id:
        payload["migrate_to_chat_id"] = message.migrate_to_chat_id
    if message.document and message.document.mime_type:
        payload["mime_type"] = message.document.mime_type
    if message.reply_markup is not None and direction == "out":
        payload["buttons"] = buttons_of(message.reply_markup)
    return {
        "chat_id": message.chat.id,
        "user_id": message.from_user.id if message.from_user else None,
        "direction": direction,
        "kind": kind,
        "text": message.text or message.caption or "",
        "file_ids": file_ids,
        "payload": payload,
        "tg_message_id": message.message_id,
        "case_id": case_id,
    }


class InboundMiddleware(BaseMiddleware):
    """Outer middleware on messages and button presses: store, then handle.

    Private chats and the units' groups are stored; a group the bot does not know is only
    logged (its chatter is none of our business). Handlers get `transcript_id`; a message
    without a sender is stored and not handled."""

    def __init__(self, transcript: Transcript, app: App) -> None:
        self.transcript = transcript
        self.app = app

    def _known_group(self, chat_id: int) -> bool:
        registry = self.app.registry
        if getattr(registry, "dispatch_chat_id", None) == chat_id:
            return True
        return any(u.chat_id == chat_id for u in registry.units.values())

    def row_of(self, event: TelegramObject, data: dict[str, Any]) -> dict[str, Any] | None:
        """The transcript row of a message or press; None for what is not stored."""
        if isinstance(event, Message):
            if event.chat.type == "private" or self._known_group(event.chat.id):
                edit = data.get("event_update") is not None and data["event_update"].edited_message
                if edit and event.location is not None:
                    return None  # a live location moving: a patrol's track is its only record
                row = message_row(event, "in")
                if edit:
                    row["kind"] = "edit"
                return row
            log.info("message in unknown chat %s (%s) skipped", event.chat.id, event.chat.type)
        elif isinstance(event, CallbackQuery) and event.message is not None:
            return {
                "chat_id": event.message.chat.id,
                "user_id": event.from_user.id,
                "direction": "in",
                "kind": "callback",
                "text": event.data or "",
                "payload": {"message_id": event.message.message_id},
                "case_id": case_of_press(event.data or ""),
            }
        return None

    async def store_limited(self, event: TelegramObject, data: dict[str, Any]) -> None:
        """What the flood guard (`bot.flood`) stops: stored, marked, not handled."""
        row = self.row_of(event, data)
        if row is not None:
            row["payload"]["limited"] = True
            await self.transcript.add(**row)

    async def __call__(self, handler: Any, event: TelegramObject, data: dict[str, Any]) -> Any:
        row = self.row_of(event, data)
        data["transcript_id"] = await self.transcript.add(**row) if row is not None else None
        if isinstance(event, Message) and event.from_user is None:
            # No sender (`from` is optional: a channel, or a chat writing on its own behalf):
            # no one to answer or hold a conversation with. Stored, not handled.
            log.info("message %s in chat %s without a sender: not handled", event.message_id, event.chat.id)
            return None
        return await handler(event, data)


class OutboundMiddleware(BaseRequestMiddleware):
    """Request middleware on the bot's session: every message the bot sent is stored."""

    RECORDED = (SendMessage, SendPhoto, SendLocation, SendMediaGroup)

    def __init__(self, transcript: Transcript) -> None:
        self.transcript = transcript

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        if isinstance(method, self.RECORDED):
            try:
                # aiogram ≥ 3.x hands back the result itself (older: a Response wrapper)
                result: Any = getattr(response, "result", response)
                for message in result if isinstance(result, list) else [result]:
                    if isinstance(message, Message):
                        self.transcript.add_nowait(**message_row(message, "out", current_case.get()))
            except Exception:  # never let bookkeeping break a send
                log.exception("transcript: could not record an outgoing message")
        return response
