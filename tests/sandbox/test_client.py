"""The driver e2e tests and benchmarks use: SandboxClient / SandboxUser."""

from __future__ import annotations

import asyncio
import time

import pytest

from tgsandbox.client import SandboxAPIError, SandboxUser

from .conftest import MEMBER, NEWCOMER, RESIDENT, UNIT_GROUP
from .images import solid


async def test_wait_sees_only_what_follows_the_last_action(bot, client):
    await bot.send_message(RESIDENT, "旧消息：欢迎")
    resident = client.user(RESIDENT)
    await resident.send_text("你好")
    await bot.send_message(RESIDENT, "新消息：欢迎")
    assert (await resident.wait_for_message("欢迎"))["text"] == "新消息：欢迎"
    # two waits after one action may both look at the same replies
    assert (await resident.wait_for_message("新消息"))["text"] == "新消息：欢迎"


async def test_wait_times_out(client):
    resident = client.user(RESIDENT)
    await resident.send_text("有人吗")
    started = time.perf_counter()
    with pytest.raises(TimeoutError):
        await resident.wait_for_message(timeout=0.3)
    assert time.perf_counter() - started < 1.0


async def test_wait_matches_button_text_and_ignores_other_chats(bot, client):
    resident = client.user(RESIDENT)
    await resident.send_text("上报")
    await bot.send_message(UNIT_GROUP, "群里的卡片")
    await bot.send_message(RESIDENT, "请确认", reply_markup={
        "inline_keyboard": [[{"text": "提交", "callback_data": "submit"}]]})
    assert (await resident.wait_for_message("提交"))["text"] == "请确认"


async def test_press_without_an_answer_returns_none(bot, client):
    await bot.send_message(RESIDENT, "卡片", reply_markup={
        "inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]})
    assert await client.user(RESIDENT).press("好", wait_answer=True, timeout=0.2) is None


async def test_user_from_a_url(sandbox, bot):
    user = SandboxUser(sandbox.url, RESIDENT)
    try:
        await user.send_text("hi")
        await bot.send_message(RESIDENT, "hello")
        assert (await user.wait_for_message())["text"] == "hello"
        assert [m["text"] for m in await user.messages()] == ["hi", "hello"]
    finally:
        await user.close()


async def test_the_world_refuses_impossible_acts(client):
    with pytest.raises(SandboxAPIError) as info:
        await client.user(RESIDENT, chat_id=UNIT_GROUP).send_text("我不在这个群")
    assert info.value.status == 403
    with pytest.raises(SandboxAPIError) as info:
        await client.user(RESIDENT, chat_id=MEMBER).send_text("别人的私聊")
    assert info.value.status == 403
    with pytest.raises(SandboxAPIError):
        await client.user(RESIDENT).send_photo([solid()] * 11)
    await client.block(RESIDENT)
    with pytest.raises(SandboxAPIError) as info:
        await client.user(RESIDENT).send_text("屏蔽后")
    assert info.value.status == 409


async def test_two_residents_at_once(bot, client):
    """Replies go to the right person when several talk to the bot at the same time."""
    from .conftest import Poller

    poller = Poller(bot)
    people = [client.user(RESIDENT), client.user(NEWCOMER)]

    async def echo() -> None:
        seen = 0
        while seen < 2:
            for update in await poller.next(timeout=2):
                seen += 1
                await bot.send_message(update.message.chat.id, f"收到：{update.message.text}")

    bot_task = asyncio.create_task(echo())
    await asyncio.gather(*(p.send_text(f"我是{p.user_id}") for p in people))
    replies = await asyncio.gather(*(p.wait_for_message("收到") for p in people))
    await bot_task
    assert [r["text"] for r in replies] == [f"收到：我是{p.user_id}" for p in people]
