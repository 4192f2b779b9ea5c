"""Errors come back the way Telegram sends them, so aiogram raises its own exceptions."""

from __future__ import annotations

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from tgsandbox.config import SandboxConfig
from tgsandbox.faults import RateLimitConfig

from .conftest import BASIC_GROUP, MEMBER, NEWCOMER, RESIDENT, UNIT_GROUP, close_bot


def button(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="按钮",
                                                                       callback_data=data)]])


async def test_text_validation(bot):
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(RESIDENT, "")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(RESIDENT, "   \n ")
    assert len((await bot.send_message(RESIDENT, "网" * 4096)).text) == 4096
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(RESIDENT, "网" * 4097)
    # tags are not counted: 4096 characters of text inside <b> is fine
    await bot.send_message(RESIDENT, "<b>" + "网" * 4096 + "</b>", parse_mode="HTML")


async def test_unescaped_user_text_fails_like_telegram(bot):
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Unsupported start tag"):
        await bot.send_message(RESIDENT, "描述：垃圾<很多>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="Can't find end tag corresponding"):
        await bot.send_message(RESIDENT, "<b>未闭合", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="reserved and must be escaped"):
        await bot.send_message(RESIDENT, "案件号 QH-1.", parse_mode="MarkdownV2")
    await bot.send_message(RESIDENT, "案件号 QH\\-1\\.", parse_mode="MarkdownV2")


async def test_unknown_chat(bot):
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(999999, "hi")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(-1009999999999, "hi")


async def test_callback_data_limit_is_64_bytes(bot):
    await bot.send_message(RESIDENT, "ok", reply_markup=button("案" * 21))  # 63 bytes
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(RESIDENT, "no", reply_markup=button("案" * 22))  # 66 bytes
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(RESIDENT, "no", reply_markup=button("x" * 65))


async def test_blocked_user_and_my_chat_member(bot, client, poller):
    await client.block(RESIDENT)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(RESIDENT, "您的案件已办结")
    update = await poller.one()
    assert update.my_chat_member.new_chat_member.status == "kicked"
    await client.block(RESIDENT, blocked=False)
    await bot.send_message(RESIDENT, "欢迎回来")


async def test_bot_cannot_start_a_conversation(bot, client, poller):
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(NEWCOMER, "你好")
    await client.user(NEWCOMER).send_text("/start")
    await poller.one()
    await bot.send_message(NEWCOMER, "你好")


async def test_deleted_groups(bot, client):
    await client.delete_group(BASIC_GROUP)
    with pytest.raises(TelegramForbiddenError, match="the group chat was deleted"):
        await bot.send_message(BASIC_GROUP, "卡片")
    await client.delete_group(UNIT_GROUP)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(UNIT_GROUP, "卡片")


async def test_kicked_from_group(bot, client, poller):
    await client.set_bot_in_group(UNIT_GROUP, present=False)
    assert (await poller.one()).my_chat_member.new_chat_member.status == "left"
    with pytest.raises(TelegramForbiddenError, match="bot was kicked from the supergroup chat"):
        await bot.send_message(UNIT_GROUP, "卡片")


async def test_group_upgraded_to_supergroup(bot, client, poller):
    new_id = await client.migrate_group(BASIC_GROUP)
    updates = await poller.next()
    assert [u.message.migrate_to_chat_id for u in updates][:1] == [new_id]
    assert updates[1].message.migrate_from_chat_id == BASIC_GROUP
    assert updates[1].message.chat.type == "supergroup"
    with pytest.raises(TelegramMigrateToChat) as info:
        await bot.send_message(BASIC_GROUP, "卡片")
    assert info.value.migrate_to_chat_id == new_id
    assert "upgraded to a supergroup" in info.value.message
    await bot.send_message(new_id, "卡片")
    await client.user(MEMBER, chat_id=new_id).send_text("/bind 7Q2K")
    assert (await poller.one()).message.chat.id == new_id


@pytest.mark.parametrize("sandbox_config", [SandboxConfig(rate_limits=RateLimitConfig(
    enabled=True, private_per_second=1, private_burst=3, group_per_minute=20, group_burst=2))])
async def test_rate_limits_answer_429_with_retry_after(bot):
    for _ in range(3):
        await bot.send_message(RESIDENT, "ok")
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(RESIDENT, "too fast")
    assert info.value.retry_after == 1
    await bot.send_message(UNIT_GROUP, "1")
    await bot.send_message(UNIT_GROUP, "2")
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(UNIT_GROUP, "3")
    assert info.value.retry_after == 3  # 20 per minute: one every 3 s


async def test_unknown_token_and_method(sandbox):
    stranger = Bot("42:not-our-token", session=AiohttpSession(api=sandbox.telegram_server()))
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await stranger.get_me()
    finally:
        await close_bot(stranger)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sandbox.url}/bot{sandbox.token}/sendTelepathy") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404,
                                         "description": "Not Found"}


async def test_json_get_and_urlencoded_requests(sandbox):
    base = f"{sandbox.url}/bot{sandbox.token}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/getMe") as resp:
            assert (await resp.json())["result"]["is_bot"] is True
        async with http.post(f"{base}/sendMessage", json={
                "chat_id": RESIDENT, "text": "json", "reply_markup": {
                    "inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]}}) as resp:
            body = await resp.json()
            assert body["ok"] and body["result"]["reply_markup"]["inline_keyboard"][0][0][
                "callback_data"] == "ok"
        async with http.post(f"{base}/sendmessage", data={"chat_id": str(RESIDENT),
                                                          "text": "form"}) as resp:
            assert (await resp.json())["result"]["text"] == "form"
        async with http.post(f"{base}/sendMessage", json={"chat_id": RESIDENT}) as resp:
            assert resp.status == 400
            assert await resp.json() == {"ok": False, "error_code": 400,
                                         "description": "Bad Request: message text is empty"}
