"""What nothing else took: content the bot cannot read, presses it does not know, group chatter.

Everything here is already in the transcript (the inbound middleware stored it)."""

from __future__ import annotations

from aiogram import F
from aiogram.types import CallbackQuery, Message

import texts
from bot.routers.common import PRIVATE, log
from bot.routes import Routes

routes = Routes(__name__)


@routes.message(PRIVATE, F.voice | F.audio | F.video_note)
async def voice(message: Message) -> None:
    await message.answer(texts.UNSUPPORTED_VOICE)


@routes.message(PRIVATE)
async def unsupported(message: Message) -> None:
    await message.answer(texts.UNSUPPORTED)


@routes.message()
async def group_chatter(message: Message) -> None:
    log.debug("group message in %s ignored", message.chat.id)


@routes.edited_message()
async def edited(message: Message) -> None:
    """An edited message: kept in the transcript (kind "edit") by the inbound middleware; a
    report already in progress is not changed behind the person's back."""


@routes.callback_query()
async def unknown_press(cb: CallbackQuery) -> None:
    """Callback data no router recognises: forged, from an old version, or garbage."""
    log.info("unknown callback from %s: %r", cb.from_user.id, cb.data)
    await cb.answer(texts.ALERT_FORBIDDEN, show_alert=True)
