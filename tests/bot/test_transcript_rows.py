"""What the transcript stores so the console can show it: the labels and data of the buttons a
bot message carried, and the case a press on a case's button (unit card, return reason, rating,
核查) is about."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiogram.types import CallbackQuery, Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, User

from bot import keyboards as kb
from bot.transcript import InboundMiddleware, case_of_press, message_row

RESIDENT = User(id=100001, is_bot=False, first_name="居民")


def bot_message(markup: Any) -> Message:
    return Message(message_id=41, date=datetime(2026, 11, 23, tzinfo=UTC), text="请评价",
                   chat=Chat(id=100001, type="private"), reply_markup=markup)


def test_a_bot_message_keeps_its_button_labels_and_data() -> None:
    markup = InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text="😊 满意", callback_data=kb.RateCb(case_id=7, rating="s", round=0).pack()),
         InlineKeyboardButton(text="😞 不满意", callback_data=kb.RateCb(case_id=7, rating="u", round=0).pack())]])
    row = message_row(bot_message(markup), "out", 7)
    assert row["payload"]["buttons"] == [[["😊 满意", "r:7:s:0"], ["😞 不满意", "r:7:u:0"]]]


def test_presses_on_a_cases_buttons_carry_the_case() -> None:
    for data, case_id in ((kb.RateCb(case_id=7, rating="s", round=0).pack(), 7),
                          (kb.UnitCb(action="acc", case_id=8).pack(), 8),
                          (kb.ReturnCb(case_id=9, reason="scope").pack(), 9),
                          (kb.VerifyCb(case_id=10, ok=True).pack(), 10),
                          (kb.DraftCb(action="ok", draft=775892462).pack(), None),
                          ("r:not-a-number:s:0", None), ("", None)):
        assert case_of_press(data) == case_id, data
    press = CallbackQuery(id="1", from_user=RESIDENT, chat_instance="x", data="r:7:s:0",
                          message=bot_message(None))
    row = InboundMiddleware(None, None).row_of(press, {})  # type: ignore[arg-type]
    assert row is not None and row["case_id"] == 7 and row["kind"] == "callback"
