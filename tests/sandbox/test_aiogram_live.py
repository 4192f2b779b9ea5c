"""The real aiogram client and live locations: a person's live location reaches the bot as a
message and edited_message updates; the bot's own live locations are edited and stopped with
Telegram's errors."""

from __future__ import annotations

import time

import pytest
from aiogram import Dispatcher, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from tgsandbox.config import SandboxConfig

from .conftest import RESIDENT, UNIT_GROUP


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox_config(clock: Clock) -> SandboxConfig:
    return SandboxConfig(clock=clock)


async def test_a_bot_follows_a_patrol(bot, client, poller, clock):
    worker = client.user(RESIDENT)
    await worker.start_live_location(30.25, 120.15, live_period=900)
    clock.now += 10
    await worker.move_live_location(30.251, 120.152, heading=30)
    clock.now += 10
    await worker.stop_live_location()

    updates = await poller.next(timeout=1)
    first, moved, stopped = updates
    assert first.message.location.live_period == 900 and first.message.edit_date is None
    assert moved.edited_message.message_id == first.message.message_id
    assert (moved.edited_message.location.latitude, moved.edited_message.location.longitude,
            moved.edited_message.location.heading) == (30.251, 120.152, 30)
    assert moved.edited_message.location.live_period == 900
    assert moved.edited_message.edit_date == int(clock.now) - 10
    assert stopped.edited_message.location.live_period is None
    assert stopped.edited_message.location.latitude == 30.251

    # the same updates through aiogram's dispatcher: message and edited_message handlers
    seen: list[tuple[str, float, int | None]] = []
    dp = Dispatcher()

    @dp.message(F.location)
    async def started(message: Message) -> None:
        seen.append(("start", message.location.latitude, message.location.live_period))

    @dp.edited_message(F.location)
    async def edited(message: Message) -> None:
        seen.append(("edit", message.location.latitude, message.location.live_period))

    for update in updates:
        await dp.feed_update(bot, update)
    assert seen == [("start", 30.25, 900), ("edit", 30.251, 900), ("edit", 30.251, None)]


async def test_the_bot_edits_and_stops_its_live_location(bot, client, clock):
    sent = await bot.send_location(UNIT_GROUP, 30.0, 120.0, live_period=3600, heading=90,
                                   proximity_alert_radius=50)
    assert (sent.location.live_period, sent.location.heading,
            sent.location.proximity_alert_radius) == (3600, 90, 50)
    clock.now += 60
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text="停止", callback_data="stop")]])
    moved = await bot.edit_message_live_location(latitude=30.01, longitude=120.0,
                                                 chat_id=UNIT_GROUP, message_id=sent.message_id,
                                                 reply_markup=keyboard)
    assert moved.location.latitude == 30.01 and moved.location.live_period == 3600
    assert moved.edit_date is not None
    assert moved.reply_markup.inline_keyboard[0][0].callback_data == "stop"
    with pytest.raises(TelegramBadRequest) as info:
        await bot.edit_message_live_location(latitude=30.01, longitude=120.0,
                                             chat_id=UNIT_GROUP, message_id=sent.message_id,
                                             reply_markup=keyboard)
    assert info.value.message.startswith("Bad Request: message is not modified")
    extended = await bot.edit_message_live_location(
        latitude=30.02, longitude=120.0, chat_id=UNIT_GROUP, message_id=sent.message_id,
        live_period=7200)
    assert extended.location.live_period == 7200
    with pytest.raises(TelegramBadRequest, match="wrong live location period"):
        await bot.edit_message_live_location(latitude=30.03, longitude=120.0, chat_id=UNIT_GROUP,
                                             message_id=sent.message_id, live_period=7200 + 86401)

    stopped = await bot.stop_message_live_location(chat_id=UNIT_GROUP,
                                                   message_id=sent.message_id)
    assert stopped.location.live_period is None and stopped.location.latitude == 30.02
    for call in (bot.stop_message_live_location(chat_id=UNIT_GROUP, message_id=sent.message_id),
                 bot.edit_message_live_location(latitude=30.1, longitude=120.0,
                                                chat_id=UNIT_GROUP, message_id=sent.message_id)):
        with pytest.raises(TelegramBadRequest) as info:
            await call
        assert info.value.message == "Bad Request: message can't be edited"
    page = (await client.messages(UNIT_GROUP))[-1]
    assert page["location"] == {"latitude": 30.02, "longitude": 120.0}


async def test_telegrams_errors_for_live_locations(bot, client, clock):
    expiring = await bot.send_location(RESIDENT, 30.0, 120.0, live_period=60)
    clock.now += 60
    with pytest.raises(TelegramBadRequest) as info:
        await bot.edit_message_live_location(latitude=30.1, longitude=120.0, chat_id=RESIDENT,
                                             message_id=expiring.message_id)
    assert info.value.message == "Bad Request: message can't be edited"

    plain = await bot.send_location(RESIDENT, 30.0, 120.0, heading=90)
    assert plain.location.live_period is None and plain.location.heading is None
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.stop_message_live_location(chat_id=RESIDENT, message_id=plain.message_id)
    text = await bot.send_message(RESIDENT, "不是位置")
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_live_location(latitude=30.1, longitude=120.0, chat_id=RESIDENT,
                                             message_id=text.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.stop_message_live_location(chat_id=RESIDENT, message_id=9999)

    # a person's live location is theirs: the bot cannot move it
    theirs = await client.user(RESIDENT).start_live_location(30.0, 120.0)
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_live_location(latitude=30.1, longitude=120.0, chat_id=RESIDENT,
                                             message_id=theirs["message_id"])

    for period in (59, 86401):
        with pytest.raises(TelegramBadRequest) as info:
            await bot.send_location(RESIDENT, 30.0, 120.0, live_period=period)
        assert info.value.message == "Bad Request: wrong live location period specified"
    forever = await bot.send_location(RESIDENT, 30.0, 120.0, live_period=0x7FFFFFFF)
    clock.now += 100 * 86400
    await bot.edit_message_live_location(latitude=31.0, longitude=120.0, chat_id=RESIDENT,
                                         message_id=forever.message_id)
    with pytest.raises(TelegramBadRequest, match="wrong location"):
        await bot.send_location(RESIDENT, 91.0, 120.0, live_period=60)
    with pytest.raises(TelegramBadRequest, match="wrong heading"):
        await bot.send_location(RESIDENT, 30.0, 120.0, live_period=60, heading=361)
