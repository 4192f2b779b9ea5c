"""/start (with or without an invite), /help, and /cancel or 取消 from any step."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReplyKeyboardRemove

import texts
from bot import patrol_keyboards
from bot.deps import Commands, People
from bot.routers.common import PRIVATE, could_be_command, is_cancel
from bot.routes import InLoop, Routes
from dispatch.domain.members import Member, Role
from dispatch.service.app import App
from dispatch.service.membership import InviteInvalid, InviteUsed
from dispatch.service.registry import Registry

routes = Routes(__name__)


def _command_or_cancel(message: Message) -> bool:
    """What this router's handlers take: commands, and 取消 (or its other words)."""
    return could_be_command(message) or is_cancel(message.text)


# Any other message skips this router in one check (a handler for anything else must widen it).
routes.message.skip_unless(InLoop(_command_or_cancel))


@routes.message(Command("cancel"))
@routes.message(F.text.func(is_cancel))
async def cancel(message: Message, state: FSMContext) -> None:
    had = await state.get_state()
    await state.clear()
    if message.chat.type != "private" and had is None:
        return  # chatter in a unit group
    await message.answer(
        texts.CANCELLED if had else texts.NOTHING_TO_CANCEL, reply_markup=ReplyKeyboardRemove()
    )


@routes.message(CommandStart(deep_link=True), PRIVATE)
async def start_invite(
    message: Message, command: CommandObject, state: FSMContext, commands: Commands, app: App
) -> None:
    await state.clear()
    assert message.from_user is not None
    try:
        joined = await commands.redeem_invite(
            command.args or "", message.from_user.id, message.from_user.full_name
        )
    except InviteUsed:
        await message.answer(texts.INVITE_USED)
        return
    except InviteInvalid:
        await message.answer(texts.INVITE_BAD)
        return
    if joined.purpose == "unit_member":
        await message.answer(texts.INVITE_OK_UNIT.format(unit=app.registry.unit_name(joined.target)))
    else:
        grid = app.registry.tree.by_id.get(joined.target)
        await message.answer(texts.INVITE_OK_GRID.format(grid=grid.name if grid else joined.target))


@routes.message(CommandStart(), PRIVATE)
async def start(message: Message, state: FSMContext, people: People, app: App, commands: Commands) -> None:
    await state.clear()
    assert message.from_user is not None
    lines = [texts.START.format(bot=texts.BOT_NAME)]
    await commands.set_blocked(message.from_user.id, False)  # START again after blocking us
    member = await people.get(message.from_user.id)
    if member is not None:
        lines += role_lines(member, app.registry)
    await message.answer("\n\n".join(lines), reply_markup=ReplyKeyboardRemove())
    if member is not None and member.has(Role.GRID_WORKER):  # the grid worker's menu: 巡查
        on_patrol = await app.patrols.open_patrol(message.from_user.id) is not None
        await message.answer(texts.PATROL_MENU, reply_markup=patrol_keyboards.menu(on_patrol))


def role_lines(member: Member, registry: Registry) -> list[str]:
    out: list[str] = []
    has = member.has
    if has(Role.GRID_WORKER):
        out.append(texts.START_GRID_WORKER)
    for unit in sorted(member.units):
        out.append(texts.START_UNIT_MEMBER.format(unit=registry.unit_name(unit)))
    if member.is_staff:
        out.append(texts.START_DISPATCHER)
    return out


@routes.message(Command("help"), PRIVATE)
async def help_(message: Message) -> None:
    await message.answer(texts.HELP)
