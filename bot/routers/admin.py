"""Groups: /bind <code> makes a group a unit's work group; /chatid tells a group its id (to
name it in the policy, e.g. the leaders' group of the 通报); a group upgraded to a supergroup
keeps working (migrate_to_chat_id); the bot added to or removed from a group."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.types import ChatMemberUpdated, Message

import texts
from bot import render
from bot.deps import Commands
from bot.routers.common import GROUP, could_be_command, log
from bot.routes import InLoop, Routes
from dispatch.domain.errors import NotAuthorised
from dispatch.service.app import App
from dispatch.service.membership import InviteInvalid, InviteUsed

routes = Routes(__name__)


def _not_private_or_command(message: Message) -> bool:
    """What this router's message handlers take: commands, and messages outside private chats."""
    return (
        message.chat.type != "private"
        or could_be_command(message)
        or bool(message.migrate_to_chat_id or message.migrate_from_chat_id)
    )


# Any other message skips this router in one check (a handler for anything else must widen it).
routes.message.skip_unless(InLoop(_not_private_or_command))


@routes.message(Command("chatid"), GROUP)
async def chat_id(message: Message) -> None:
    """The group's chat id, for settings that name a group by it (the leaders' group of the
    通报: policy assessment.bulletin.chat_id)."""
    await message.reply(texts.CHAT_ID.format(chat_id=message.chat.id))


@routes.message(Command("bind"))
async def bind(message: Message, command: CommandObject, commands: Commands, app: App) -> None:
    if message.chat.type not in ("group", "supergroup"):
        await message.answer(texts.BIND_NOT_GROUP)
        return
    code = (command.args or "").strip()
    if not code:
        await message.reply(texts.BIND_USAGE)
        return
    assert message.from_user is not None
    try:
        bound = await commands.bind_group(code, message.chat.id, message.from_user.id, message.chat.title)
    except (InviteInvalid, InviteUsed):
        await message.reply(texts.BIND_BAD)
        return
    except NotAuthorised:
        await message.reply(texts.BIND_NOT_ALLOWED)
        return
    unit = render.esc(app.registry.unit_name(bound.target))
    if bound.move is not None:  # the unit has another group: an admin decides
        log.warning(
            "chat %s asks to become unit %s's group (request %s)",
            message.chat.id,
            bound.target,
            bound.move.id,
        )
        await message.reply(texts.BIND_MOVE_PENDING.format(unit=unit))
        return
    log.info("chat %s bound to unit %s by %s", message.chat.id, bound.target, message.from_user.id)
    await message.reply(texts.BIND_OK.format(unit=unit))


@routes.message(F.migrate_to_chat_id)
async def migrated(message: Message, commands: Commands) -> None:
    assert message.migrate_to_chat_id is not None
    n = await commands.migrate_chat(message.chat.id, message.migrate_to_chat_id)
    log.info("chat %s became %s (%d unit(s) follow)", message.chat.id, message.migrate_to_chat_id, n)


@routes.message(F.migrate_from_chat_id)
async def migrated_here(message: Message) -> None:
    """The first message of the new supergroup: the old group's message already moved us."""


@routes.my_chat_member(F.chat.type.in_({"group", "supergroup"}))
async def membership_changed(event: ChatMemberUpdated, app: App) -> None:
    status = event.new_chat_member.status
    known = any(u.chat_id == event.chat.id for u in app.registry.units.values())
    if status in ("left", "kicked"):
        if known:
            log.warning("removed from unit group %s: its cards cannot be delivered", event.chat.id)
        return
    if status in ("member", "administrator") and not known:
        await event.answer(texts.GROUP_HELLO.format(bot=texts.BOT_NAME))


@routes.message(GROUP, F.new_chat_members | F.left_chat_member | F.new_chat_title | F.group_chat_created)
async def group_service(message: Message) -> None:
    """Service messages in groups need no answer."""
