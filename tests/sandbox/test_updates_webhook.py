"""getUpdates long polling and offsets; webhooks; aiogram's own Dispatcher polling."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from aiogram.exceptions import TelegramConflictError
from aiohttp import web

from .conftest import RESIDENT, UNIT_GROUP


async def test_long_poll_returns_promptly_when_an_update_arrives(bot, client):
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)
    started = time.perf_counter()
    await client.user(RESIDENT).send_text("井盖丢了")
    updates = await asyncio.wait_for(poll, 2)
    assert time.perf_counter() - started < 0.5
    assert [u.message.text for u in updates] == ["井盖丢了"]


async def test_empty_long_poll_waits_for_its_timeout(bot):
    started = time.perf_counter()
    assert await bot.get_updates(timeout=1) == []
    assert 0.9 < time.perf_counter() - started < 2.0


async def test_offsets_confirm_updates(bot, client):
    resident = client.user(RESIDENT)
    for text in ("一", "二", "三"):
        await resident.send_text(text)
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first] == ["一", "二"]
    assert [u.message.text for u in await bot.get_updates()] == ["一", "二", "三"]  # unconfirmed
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest] == ["三"]
    assert await bot.get_updates(offset=rest[-1].update_id + 1) == []
    await resident.send_text("四")
    await resident.send_text("五")
    assert [u.message.text for u in await bot.get_updates(offset=-1)] == ["五"]


async def test_allowed_updates_filter(bot, client):
    card = await bot.send_message(RESIDENT, "卡片", reply_markup={
        "inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]})
    await bot.get_updates(allowed_updates=["callback_query"])
    resident = client.user(RESIDENT)
    await resident.send_text("被过滤")
    await resident.press("好", message_id=card.message_id)
    updates = await bot.get_updates()
    assert [u.callback_query is not None for u in updates] == [True]


async def test_second_poller_terminates_the_first(bot):
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(bot.get_updates(timeout=1))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, 2)
    assert await second == []


async def test_aiogram_dispatcher_polls_the_sandbox(bot, client):
    from aiogram import Dispatcher, F
    from aiogram.filters import CommandStart
    from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("您好！请描述问题。", reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="怎么用", callback_data="help")]]))

    @dp.callback_query(F.data == "help")
    async def help_(query: CallbackQuery) -> None:
        await query.answer("直接发文字即可", show_alert=True)
        await query.message.edit_text("您好！直接发文字描述问题。")

    polling = asyncio.create_task(dp.start_polling(bot, polling_timeout=5,
                                                    handle_signals=False))
    try:
        resident = client.user(RESIDENT)
        await resident.send_text("/start")
        greeting = await resident.wait_for_message("请描述问题", timeout=5)
        assert greeting["reply_markup"]["inline_keyboard"][0][0]["text"] == "怎么用"
        answer = await resident.press("怎么用", wait_answer=True)
        assert answer == {"text": "直接发文字即可", "show_alert": True, "url": None}
        edited = await resident.wait_for_message(lambda m: m.get("edit_date"), timeout=5)
        assert edited["text"] == "您好！直接发文字描述问题。"
    finally:
        await dp.stop_polling()
        await polling


async def test_webhook_delivery_secret_reply_method_and_conflict(bot, client, unused_port):
    received: list[tuple[dict, str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        update = await request.json()
        received.append((update, request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        if "message" in update:  # answer in the webhook response, like aiogram can
            return web.json_response({"method": "sendMessage", "chat_id": RESIDENT,
                                      "text": "已收到"})
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_port).start()
    try:
        assert await bot.set_webhook(f"http://127.0.0.1:{unused_port}/hook",
                                     secret_token="s3cret")
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot.get_updates()
        resident = client.user(RESIDENT)
        await resident.send_text("路灯坏了")
        reply = await resident.wait_for_message("已收到", timeout=3)
        assert reply["chat"]["id"] == RESIDENT
        assert received[0][0]["message"]["text"] == "路灯坏了"
        assert received[0][1] == "s3cret"
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook") and info.pending_update_count == 0
    finally:
        await runner.cleanup()
    assert await bot.delete_webhook()
    assert await bot.get_updates() == []


async def test_failing_webhook_is_retried_in_order(bot, client, unused_port, sandbox):
    sandbox.world.config.webhook_retry_base = 0.05
    statuses = [500, 500]
    texts: list[str] = []

    async def hook(request: web.Request) -> web.Response:
        update = json.loads(await request.text())
        if statuses:
            return web.Response(status=statuses.pop(0))
        texts.append(update["message"]["text"])
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_port).start()
    try:
        await bot.set_webhook(f"http://127.0.0.1:{unused_port}/hook")
        resident = client.user(RESIDENT)
        for text in ("一", "二", "三"):
            await resident.send_text(text)
        for _ in range(100):
            if len(texts) == 3:
                break
            await asyncio.sleep(0.02)
        assert texts == ["一", "二", "三"]
        info = await bot.get_webhook_info()
        assert info.last_error_message.startswith("Wrong response from the webhook: 500")
        assert info.pending_update_count == 0
    finally:
        await bot.delete_webhook()
        await runner.cleanup()


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_group_updates_and_membership(bot, client, poller):
    await client.change_members(UNIT_GROUP, add=[RESIDENT])
    joined = (await poller.one()).message
    assert [u.id for u in joined.new_chat_members] == [RESIDENT]
    await client.change_members(UNIT_GROUP, remove=[RESIDENT])
    assert (await poller.one()).message.left_chat_member.id == RESIDENT
