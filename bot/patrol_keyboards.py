"""The patrol buttons (ids only): start / end in the grid worker's menu, 巡查无异常 at the end."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

import texts
from bot.keyboards import Id


class PatrolCb(CallbackData, prefix="pt"):
    action: str  # start / end / ok
    patrol: int = 0  # for ok: the patrol (an Id); 0 otherwise


def _one(text: str, data: PatrolCb) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text=text, callback_data=data.pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def menu(on_patrol: bool) -> InlineKeyboardMarkup:
    if on_patrol:
        return _one(texts.PATROL_BUTTON_END, PatrolCb(action="end"))
    return _one(texts.PATROL_BUTTON_START, PatrolCb(action="start"))


def ok_button(patrol_id: Id) -> InlineKeyboardMarkup:
    return _one(texts.PATROL_BUTTON_OK, PatrolCb(action="ok", patrol=patrol_id))
