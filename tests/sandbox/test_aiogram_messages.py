"""The real aiogram client against the sandbox: messages, keyboards, callbacks, edits."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)

from .conftest import MEMBER, MEMBER2, RESIDENT, UNIT_GROUP


def card_keyboard(case_id: int = 17) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="接单", callback_data=f"case:accept:{case_id}"),
        InlineKeyboardButton(text="退回", callback_data=f"case:return:{case_id}"),
    ]])


async def test_get_me(bot, sandbox):
    me = await bot.get_me()
    assert me.is_bot and me.id == sandbox.world.bot.id
    assert me.first_name == "网格通" and me.username == "gridbot_sandbox_bot"


async def test_send_message_parses_html_like_telegram(bot, client):
    msg = await bot.send_message(RESIDENT, "您好，<b>张桂兰</b>！&lt;不是标签&gt; 发 /my 查看",
                                 parse_mode="HTML")
    assert msg.text == "您好，张桂兰！<不是标签> 发 /my 查看"
    kinds = {(e.type, msg.text[e.offset:e.offset + e.length]) for e in msg.entities}
    assert kinds == {("bold", "张桂兰"), ("bot_command", "/my")}
    assert msg.chat.type == "private" and msg.from_user.is_bot
    stored = await client.messages(RESIDENT)
    assert stored[-1]["text"] == msg.text


async def test_user_message_reaches_bot_with_entities_and_reply(bot, client, poller):
    prompt = await bot.send_message(RESIDENT, "请描述问题")
    resident = client.user(RESIDENT)
    await resident.send_text("/start invite-abc")
    start = (await poller.one()).message
    assert start.text == "/start invite-abc"
    assert start.entities[0].type == "bot_command" and start.entities[0].length == 6
    await resident.send_text("路灯不亮了", reply_to=prompt.message_id)
    reply = (await poller.one()).message
    assert reply.reply_to_message.message_id == prompt.message_id
    assert reply.reply_to_message.text == "请描述问题"
    answer = await bot.send_message(RESIDENT, "收到", reply_parameters=ReplyParameters(
        message_id=reply.message_id))
    assert answer.reply_to_message.text == "路灯不亮了"


async def test_press_inline_button_answer_and_edit_in_place(bot, client, poller):
    card = await bot.send_message(UNIT_GROUP, "案件 QH-0017：解放路垃圾堆积", reply_markup=card_keyboard())
    member = client.user(MEMBER, chat_id=UNIT_GROUP)
    query_id = await member.press("接单")

    query = (await poller.one()).callback_query
    assert query.id == query_id
    assert query.data == "case:accept:17"
    assert query.from_user.id == MEMBER
    assert query.message.message_id == card.message_id
    assert query.message.chat.id == UNIT_GROUP

    assert await bot.answer_callback_query(query.id, text="已接单", show_alert=True)
    assert await member.callback_answer(query_id) == {"text": "已接单", "show_alert": True,
                                                      "url": None}
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id, text="again")

    done = InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="办结", callback_data="case:resolve:17")]])
    edited = await bot.edit_message_text("案件 QH-0017 · 王强已接单", chat_id=UNIT_GROUP,
                                         message_id=card.message_id, reply_markup=done)
    assert edited.edit_date and edited.text.endswith("王强已接单")
    seen = await member.wait_for_message(lambda m: m.get("edit_date"))
    assert seen["reply_markup"]["inline_keyboard"][0][0]["text"] == "办结"

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("案件 QH-0017 · 王强已接单", chat_id=UNIT_GROUP,
                                    message_id=card.message_id, reply_markup=done)
    # like Telegram, an edit without reply_markup removes the keyboard
    await bot.edit_message_text("案件 QH-0017 · 已办结", chat_id=UNIT_GROUP,
                                message_id=card.message_id)
    stored = (await client.messages(UNIT_GROUP))[-1]
    assert "reply_markup" not in stored
    with pytest.raises(LookupError):
        await member.press("办结")


async def test_stale_and_forged_presses(bot, client, poller):
    card = await bot.send_message(UNIT_GROUP, "案件 18", reply_markup=card_keyboard(18))
    other = client.user(MEMBER2, chat_id=UNIT_GROUP)
    # a foreign member may press a real button; the bot decides
    await other.press("退回")
    assert (await poller.one()).callback_query.from_user.id == MEMBER2
    # a forged callback carries data no button has
    await other.press("case:accept:999", message_id=card.message_id, force=True)
    forged = (await poller.one()).callback_query
    assert forged.data == "case:accept:999"


async def test_edit_reply_markup_and_caption_and_delete(bot, client):
    card = await bot.send_message(RESIDENT, "请确认", reply_markup=card_keyboard())
    same = await bot.edit_message_reply_markup(chat_id=RESIDENT, message_id=card.message_id,
                                               reply_markup=card_keyboard(18))
    assert same.reply_markup.inline_keyboard[0][0].callback_data == "case:accept:18"
    with pytest.raises(TelegramBadRequest, match="there is no caption"):
        await bot.edit_message_caption(chat_id=RESIDENT, message_id=card.message_id,
                                       caption="x")
    assert await bot.delete_message(RESIDENT, card.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(RESIDENT, card.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=RESIDENT, message_id=card.message_id)


async def test_cannot_edit_a_users_message(bot, client, poller):
    await client.user(RESIDENT).send_text("我的消息")
    msg = (await poller.one()).message
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("改掉", chat_id=RESIDENT, message_id=msg.message_id)


async def test_reply_keyboard_request_location_and_remove(bot, client, poller):
    keyboard = ReplyKeyboardMarkup(keyboard=[
        [KeyboardButton(text="发送当前位置", request_location=True)], [KeyboardButton(text="跳过")]],
        resize_keyboard=True, one_time_keyboard=True, input_field_placeholder="位置")
    await bot.send_message(RESIDENT, "请发送位置", reply_markup=keyboard)
    chat = await client.chat(RESIDENT)
    assert chat["keyboard"]["keyboard"][0][0] == {"text": "发送当前位置", "request_location": True}
    resident = client.user(RESIDENT)
    await resident.press("发送当前位置", location=(25.838018, 115.021984))
    loc = (await poller.one()).message.location
    assert (loc.latitude, loc.longitude) == (25.838018, 115.021984)
    await resident.press("跳过")
    assert (await poller.one()).message.text == "跳过"
    await bot.send_message(RESIDENT, "好的", reply_markup=ReplyKeyboardRemove())
    assert (await client.chat(RESIDENT))["keyboard"] is None


async def test_force_reply_is_shown_to_the_page(bot, client):
    msg = await bot.send_message(UNIT_GROUP, "请输入退回原因",
                                 reply_markup=ForceReply(input_field_placeholder="退回原因"))
    chat = await client.chat(UNIT_GROUP)
    assert chat["force_reply"] == {"placeholder": "退回原因", "message_id": msg.message_id}


async def test_group_message_from_member_reaches_bot(bot, client, poller):
    await client.user(MEMBER, chat_id=UNIT_GROUP).send_text("/bind 7Q2K")
    msg = (await poller.one()).message
    assert msg.chat.id == UNIT_GROUP and msg.chat.type == "supergroup"
    assert msg.chat.title == "城西执法中队" and msg.from_user.first_name == "王强"


async def test_chat_action_copy_and_forward(bot, client, poller):
    assert await bot.send_chat_action(RESIDENT, "typing")
    with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
        await bot.send_chat_action(RESIDENT, "dancing")
    await client.user(RESIDENT).send_text("井盖丢了")
    original = (await poller.one()).message
    copied = await bot.copy_message(UNIT_GROUP, RESIDENT, original.message_id)
    forwarded = await bot.forward_message(UNIT_GROUP, RESIDENT, original.message_id)
    group = await client.messages(UNIT_GROUP)
    assert [m["message_id"] for m in group[-2:]] == [copied.message_id, forwarded.message_id]
    assert group[-2]["text"] == "井盖丢了" and "forward_origin" not in group[-2]
    assert forwarded.forward_origin.sender_user.id == RESIDENT


async def test_commands_by_scope(bot, client):
    await bot.set_my_commands([BotCommand(command="start", description="开始"),
                               BotCommand(command="my", description="我的上报")])
    await bot.set_my_commands([BotCommand(command="tasks", description="待办")],
                              scope=BotCommandScopeChat(chat_id=UNIT_GROUP))
    assert [c.command for c in await bot.get_my_commands()] == ["start", "my"]
    scoped = await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=UNIT_GROUP))
    assert [c.command for c in scoped] == ["tasks"]
    assert [c["command"] for c in (await client.chat(UNIT_GROUP))["commands"]] == ["tasks"]
    assert [c["command"] for c in (await client.chat(RESIDENT))["commands"]] == ["start", "my"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="上报", description="x")])


async def test_get_chat_and_members(bot):
    chat = await bot.get_chat(UNIT_GROUP)
    assert chat.type == "supergroup" and chat.title == "城西执法中队"
    private = await bot.get_chat(RESIDENT)
    assert private.first_name == "张桂兰"
    assert (await bot.get_chat_member(UNIT_GROUP, MEMBER)).status == "member"
    assert (await bot.get_chat_member(UNIT_GROUP, RESIDENT)).status == "left"
    assert await bot.get_chat_member_count(UNIT_GROUP) == 3
