"""setMyCommands per scope through aiogram, and what each chat's "/" menu shows."""

from __future__ import annotations

from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
)

from .conftest import BASIC_GROUP, MEMBER, RESIDENT, UNIT_GROUP


def names(commands: list) -> list[str]:
    return [c["command"] if isinstance(c, dict) else c.command for c in commands]


async def test_each_scope_is_kept_apart_and_menus_follow_telegrams_precedence(bot, client):
    await bot.set_my_commands([BotCommand(command="help", description="帮助")],
                              scope=BotCommandScopeDefault())
    await bot.set_my_commands([BotCommand(command="report", description="上报问题")],
                              scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands([BotCommand(command="cases", description="本单位案件")],
                              scope=BotCommandScopeAllGroupChats())
    await bot.set_my_commands([BotCommand(command="patrol", description="开始巡查")],
                              scope=BotCommandScopeChat(chat_id=MEMBER))
    assert names(await bot.get_my_commands()) == ["help"]
    assert names(await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats())) == ["report"]
    assert names(await bot.get_my_commands(scope=BotCommandScopeAllGroupChats())) == ["cases"]
    assert names(await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=MEMBER))) == [
        "patrol"]
    assert names(await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=RESIDENT))) == []

    # the menu a person sees: chat, then all private / all group chats, then default
    assert names((await client.chat(RESIDENT))["commands"]) == ["report"]
    assert names((await client.chat(MEMBER))["commands"]) == ["patrol"]
    assert names((await client.chat(UNIT_GROUP))["commands"]) == ["cases"]
    await bot.delete_my_commands(scope=BotCommandScopeAllGroupChats())
    assert names((await client.chat(BASIC_GROUP))["commands"]) == ["help"]
