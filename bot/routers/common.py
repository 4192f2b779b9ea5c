"""Small helpers the feature routers share."""

from __future__ import annotations

import logging

from aiogram import F
from aiogram.types import CallbackQuery, Message

from dispatch.adapters.repository import ConcurrentModification
from dispatch.domain.errors import DomainError, IllegalTransition, NotAuthorised
from dispatch.service.cases import CaseNotFound
from gridbot import texts

log = logging.getLogger("bot")

PRIVATE = F.chat.type == "private"
GROUP = F.chat.type.in_({"group", "supergroup"})
CB_PRIVATE = F.message.chat.type == "private"
# A photo, or an image sent "as a file" (uncompressed).
PHOTO = F.photo | F.document.mime_type.startswith("image/")
MAX_PHOTOS = 10


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
    if isinstance(exc, IllegalTransition | ConcurrentModification):
        return texts.ALERT_HANDLED
    return texts.ALERT_STALE


async def refuse(cb: CallbackQuery, exc: Exception) -> None:
    log.info("press refused: user=%s data=%r: %s", cb.from_user.id, cb.data, exc)
    await cb.answer(refusal(exc), show_alert=True)


REFUSED = (DomainError,)
