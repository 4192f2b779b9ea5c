"""Telegram calls for the relay: one call with its retries and error classification (rate
limits honoured, network and 5xx errors retried or rescheduled, 403 and chat-not-found
permanent), and the sends every deliverer builds on (text, photos, edits)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import tzinfo
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InputMediaPhoto, MediaUnion, Message

from bot.delivery.progress import ProgressLog
from bot.ratelimit import SendLimiter, Throttled
from dispatch.db.outbox import Card, Outcome, Pending
from dispatch.domain.status import CaseStatus
from dispatch.service.app import App

log = logging.getLogger(__name__)
T = TypeVar("T")
# What the Bot API accepted for the row being delivered (to record it if the relay is stopped).
_accepted: ContextVar[list[Any] | None] = ContextVar("relay_accepted", default=None)

MAX_ATTEMPTS = 8
MAX_BACKOFF_S = 300.0
INLINE_RETRY_AFTER_S = 5.0  # wait in place up to this; longer waits are rescheduled
INLINE_NETWORK_RETRIES = 2
# Wait in place for a rate-limit slot up to this; further away, the row is put back untried
# (well inside outbox.CLAIM_TTL, so a claim never expires while its row waits).
INLINE_THROTTLE_S = 20.0
# A row whose case has an earlier row in another relay's hands waits at least this long.
EARLIER_WAIT_S = 1.0
# Renew claims when less than this share of CLAIM_TTL is left; start no new send below SAFE.
RENEW_AT, SAFE = 0.5, 0.25
MAYBE_TWICE = (
    "delivered again: the relay before stopped without recording, its send may have reached Telegram already"
)
RESUMED = "already at Telegram: recorded by the relay before, which stopped before its outcome"
# Kinds whose delivery is one message (recorded as part 1 once it went out). Unit cards and
# verify tasks record their parts themselves; card updates are edits (repeating one is harmless).
MULTI_PART = ("unit_card", "verify_task", "card_update", "bulletin")
# kinds about no case
CASELESS = ("group_notice", "bulletin", "patrol_fence", "patrol_ended", "patrol_digest")
GONE = ("message to edit not found", "message can't be edited", "MESSAGE_ID_INVALID")
NOT_MODIFIED = "message is not modified"
S = CaseStatus



class Retry(Exception):
    def __init__(self, after: float, error: str) -> None:
        super().__init__(error)
        self.after = after


class Permanent(Exception):
    def __init__(self, error: str, blocked: bool = False) -> None:
        super().__init__(error)
        self.blocked = blocked



def _note_accepted(result: Any, on_sent: Callable[[Any], None] | None = None) -> None:
    accepted = _accepted.get()
    if accepted is not None:
        accepted.extend(result if isinstance(result, list) else [result])
    if on_sent is not None:
        on_sent(result)


def _main(out: Outcome, case_id: int | None = None, purpose: str | None = None) -> Callable[[Any], None]:
    """`on_sent` for a row's main message: note its id (and the card it is, with `purpose`)
    on the row's outcome the moment Telegram accepted it."""

    def note(result: Any) -> None:
        first = result[0] if isinstance(result, list) and result else result
        if isinstance(first, Message):
            out.message_id = first.message_id
            if purpose is not None and case_id is not None:
                out.cards.append(Card(case_id, first.chat.id, first.message_id, purpose))

    return note



def _resumed(row: Pending) -> tuple[int, int] | None:
    """(chat, message id) of the row's main message if a relay before sent it (recorded)."""
    if row.part_chat_id is None or row.tg_message_id is None:
        return None
    return row.part_chat_id, row.tg_message_id


class TelegramCalls:
    """The calls a relay makes; `OutboxRelay` sets the attributes."""

    app: App
    bot: Bot
    limiter: SendLimiter
    stats: Any
    tz: tzinfo
    progress: ProgressLog  # each part of a delivery, as it goes out
    _migrations: list[tuple[int, int]]  # groups that became supergroups

    async def call(
        self,
        make: Callable[[], Awaitable[T]],
        chat_id: int | None = None,
        cost: int = 1,
        on_sent: Callable[[T], None] | None = None,
    ) -> T:
        """One Bot API call to `chat_id` within the rate limits and with the retry policy;
        raises Retry, Permanent or Throttled (the slot is too far away: nothing was sent).
        `on_sent(result)` runs as soon as the Bot API accepted the call, even when the relay is
        being stopped meanwhile (the row's main message: its id must be recorded)."""
        network_tries = 0
        while True:
            await self.limiter.acquire(chat_id, cost, max_wait=INLINE_THROTTLE_S)
            call = asyncio.ensure_future(make())
            try:
                result = await asyncio.shield(call)
                _note_accepted(result, on_sent)
                return result
            except asyncio.CancelledError:
                # The request may already be at Telegram: let it finish, so that a message it
                # sent is recorded, then stop.
                while not call.done():
                    try:
                        await asyncio.wait({call})
                    except asyncio.CancelledError:
                        pass
                if not call.cancelled() and call.exception() is None:
                    _note_accepted(call.result(), on_sent)
                raise
            except TelegramRetryAfter as exc:
                if exc.retry_after <= INLINE_RETRY_AFTER_S:
                    await asyncio.sleep(exc.retry_after)
                    continue
                raise Retry(exc.retry_after, f"429 retry after {exc.retry_after}") from exc
            except (TimeoutError, TelegramNetworkError, TelegramServerError) as exc:
                network_tries += 1
                if network_tries <= INLINE_NETWORK_RETRIES:
                    await asyncio.sleep(0.2 * 2**network_tries)
                    continue
                raise Retry(0, f"{type(exc).__name__}: {exc}") from exc
            except TelegramMigrateToChat as exc:
                old = getattr(exc.method, "chat_id", None)
                if isinstance(old, int):
                    self._migrations.append((old, exc.migrate_to_chat_id))
                raise Retry(0.01, f"chat {old} became {exc.migrate_to_chat_id}") from exc
            except TelegramForbiddenError as exc:
                raise Permanent(f"403 {exc.message}", blocked=True) from exc
            except TelegramBadRequest as exc:
                if "chat not found" in exc.message.lower():
                    raise Permanent(f"400 {exc.message}", blocked=True) from exc
                raise Permanent(f"400 {exc.message}") from exc

    async def _send_text(
        self,
        chat_id: int,
        text: str,
        markup: Any = None,
        reply_to: int | None = None,
        on_sent: Callable[[Any], None] | None = None,
    ) -> Message:
        return await self.call(
            lambda: self.bot.send_message(
                chat_id,
                text,
                reply_markup=markup,
                reply_to_message_id=reply_to,
                allow_sending_without_reply=True,
            ),
            chat_id,
            on_sent=on_sent,
        )

    async def _send_photos(
        self,
        chat_id: int,
        file_ids: list[str],
        caption: str | None = None,
        reply_to: int | None = None,
        on_sent: Callable[[Any], None] | None = None,
    ) -> int | None:
        if not file_ids:
            return None
        if len(file_ids) == 1:
            m = await self.call(
                lambda: self.bot.send_photo(
                    chat_id,
                    file_ids[0],
                    caption=caption,
                    reply_to_message_id=reply_to,
                    allow_sending_without_reply=True,
                ),
                chat_id,
                on_sent=on_sent,
            )
            return m.message_id
        media: list[MediaUnion] = [
            InputMediaPhoto(media=f, caption=caption if i == 0 else None) for i, f in enumerate(file_ids[:10])
        ]
        ms = await self.call(
            lambda: self.bot.send_media_group(
                chat_id, media, reply_to_message_id=reply_to, allow_sending_without_reply=True
            ),
            chat_id,
            len(media),
            on_sent,
        )
        return ms[0].message_id if ms else None

    async def _best_effort(
        self, what: str, make: Callable[[], Awaitable[Any]], chat_id: int | None, *, raw: bool = True
    ) -> None:
        """Extras after the main message (photos, the pin): log failures, never resend the card.
        `raw=False`: `make` already goes through `call` (limits and retries) itself."""
        try:
            await (self.call(make, chat_id) if raw else make())
        except (Retry, Permanent, Throttled) as exc:
            log.info("relay: %s not delivered: %s", what, exc)

    async def _edit(self, card: Card, text: str, markup: Any) -> bool:
        """Edit a card in place; False when its message is gone (the card is forgotten)."""
        try:
            await self.call(
                lambda: self.bot.edit_message_text(
                    text, chat_id=card.chat_id, message_id=card.message_id, reply_markup=markup
                ),
                card.chat_id,
            )
        except Permanent as exc:
            msg = str(exc)
            if NOT_MODIFIED in msg:
                return True
            if any(g in msg for g in GONE) or exc.blocked:
                return False
            raise
        return True

    # -- the kinds -------------------------------------------------------------------------------------
