"""Small helpers the feature routers share."""

from __future__ import annotations

import logging

from aiogram.types import CallbackQuery, Message

import texts
from bot.routes import InLoop
from dispatch.domain.errors import (
    ConcurrentModification,
    DomainError,
    IllegalTransition,
    NotAuthorised,
    OutdatedRound,
)
from dispatch.service.cases import CaseNotFound

log = logging.getLogger("bot")


# Filters: plain functions of the event (cheaper than the equivalent `F.…` magic filters).
def _private(message: Message) -> bool:
    return message.chat.type == "private"


def _group(message: Message) -> bool:
    return message.chat.type in ("group", "supergroup")


def _cb_private(cb: CallbackQuery) -> bool:
    return cb.message is not None and cb.message.chat.type == "private"


def _photo(message: Message) -> bool:
    """A photo, or an image sent "as a file" (uncompressed)."""
    if message.photo:
        return True
    doc = message.document
    return doc is not None and doc.mime_type is not None and doc.mime_type.startswith("image/")


PRIVATE = InLoop(_private)
GROUP = InLoop(_group)
CB_PRIVATE = InLoop(_cb_private)
PHOTO = InLoop(_photo)
MAX_PHOTOS = 10


# -- router-level filters: a router none of whose handlers could take the event is skipped ----------
def could_be_command(message: Message) -> bool:
    """What aiogram's `Command` filters (prefix "/") could match: a text, or a caption, whose
    first word starts with "/"."""
    text = message.text or message.caption
    return text is not None and text.lstrip().startswith("/")


def photo_id(message: Message) -> str | None:
    if message.photo:
        return message.photo[-1].file_id
    if message.document and (message.document.mime_type or "").startswith("image/"):
        return message.document.file_id
    return None


def _norm(text: str | None) -> str:
    return (text or "").strip().strip("。.!！ ")


def is_skip(text: str | None) -> bool:
    return _norm(text) in texts.SKIP_WORDS


def is_done(text: str | None) -> bool:
    return _norm(text) in texts.DONE_WORDS


def is_cancel(text: str | None) -> bool:
    return _norm(text) in texts.CANCEL_WORDS


def refusal(exc: Exception) -> str:
    """The alert for a press the service refused."""
    if isinstance(exc, NotAuthorised | CaseNotFound):
        return texts.ALERT_FORBIDDEN
    if isinstance(exc, OutdatedRound):
        return texts.ALERT_RATE_OUTDATED
    if isinstance(exc, IllegalTransition | ConcurrentModification):
        return texts.ALERT_HANDLED
    return texts.ALERT_STALE


async def refuse(cb: CallbackQuery, exc: Exception) -> None:
    log.info("press refused: user=%s data=%r: %s", cb.from_user.id, cb.data, exc)
    await cb.answer(refusal(exc), show_alert=True)


REFUSED = (DomainError,)
