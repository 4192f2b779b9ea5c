"""The bot's session posts JSON bodies, and multipart only when a file is uploaded."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from bot.session import JsonAiohttpSession
from tests.sandbox.conftest import RESIDENT, close_bot
from tgsandbox.server import SandboxHandle

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
async def json_bot(sandbox: SandboxHandle) -> Any:
    bot = Bot(
        sandbox.token,
        session=JsonAiohttpSession(api=sandbox.telegram_server()),
        default=DefaultBotProperties(parse_mode="HTML"),
    )
    forms: list[str] = []
    original = bot.session.build_form_data

    def counting(bot: Any, method: Any) -> Any:
        forms.append(method.__api_method__)
        return original(bot=bot, method=method)

    bot.session.build_form_data = counting  # type: ignore[method-assign]
    bot.forms = forms  # type: ignore[attr-defined]
    try:
        yield bot
    finally:
        await close_bot(bot)


async def test_text_buttons_and_edits_go_as_json(json_bot: Any, client: Any) -> None:
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="接单", callback_data="a:1")]])
    sent = await json_bot.send_message(RESIDENT, "<b>案件</b> 已受理", reply_markup=markup)
    assert sent.text == "案件 已受理" and sent.reply_markup is not None
    edited = await json_bot.edit_message_text(
        text="已办结", chat_id=RESIDENT, message_id=sent.message_id, reply_markup=None
    )
    assert edited.text == "已办结"
    await json_bot.send_location(RESIDENT, latitude=30.1, longitude=120.2, disable_notification=False)
    assert json_bot.forms == []  # no multipart form was built
    messages = (await client.request("GET", f"chats/{RESIDENT}/messages"))["messages"]
    assert [m.get("text") for m in messages[-2:-1]] == ["已办结"]


async def test_uploads_still_go_as_multipart(json_bot: Any) -> None:
    sent = await json_bot.send_photo(RESIDENT, BufferedInputFile(PNG, "result.png"), caption="处置结果")
    assert sent.photo and sent.caption == "处置结果"
    assert json_bot.forms == ["sendPhoto"]


async def test_errors_keep_their_bot_api_shape(json_bot: Any) -> None:
    with pytest.raises(TelegramBadRequest, match="text is empty|message text is empty"):
        await json_bot.send_message(RESIDENT, "")
