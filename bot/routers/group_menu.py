"""What the command menu of a group lists, answered there: /tasks and /help in a unit's work
group (its open cases with their deadlines) and in the dispatchers' group (待分拨)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram.filters import Command
from aiogram.types import Message

import texts
from bot import render
from bot.routers.common import GROUP, could_be_command
from bot.routes import InLoop, Routes
from dispatch.domain.routing import Unit
from dispatch.service import queries
from dispatch.service.app import App

routes = Routes(__name__)
# Only commands reach this router's handlers; anything else skips it in one check.
routes.message.skip_unless(InLoop(could_be_command))

SHOWN = 20


def unit_of_chat(app: App, chat_id: int) -> Unit | None:
    return next((u for u in app.registry.units.values() if u.chat_id == chat_id), None)


@routes.message(Command("tasks"), GROUP)
async def group_tasks(message: Message, app: App) -> None:
    registry, tz = app.registry, ZoneInfo(app.settings.timezone)
    if registry.dispatch_chat_id == message.chat.id:
        async with app.uow() as uow:
            cases = await queries.triage_cases(uow, SHOWN)
        if not cases:
            await message.reply(texts.DISPATCH_TASKS_EMPTY)
            return
        lines = [texts.DISPATCH_TASKS_HEADER.format(n=len(cases)), *render.task_lines(cases, registry)]
        await message.reply("\n".join(lines))
        return
    unit = unit_of_chat(app, message.chat.id)
    if unit is None:
        await message.reply(texts.GROUP_NOT_BOUND)
        return
    async with app.uow() as uow:
        cases = await queries.open_unit_cases(uow, [unit.id], SHOWN + 1)
    name = render.esc(unit.name)
    if not cases:
        await message.reply(texts.GROUP_TASKS_EMPTY.format(unit=name))
        return
    shown = cases[:SHOWN]
    lines = [
        texts.GROUP_TASKS_HEADER.format(unit=name, n=len(shown)),
        *render.task_lines(shown, registry, tz, app.clock.now()),
    ]
    if len(cases) > SHOWN:
        lines.append(texts.GROUP_TASKS_MORE.format(shown=SHOWN))
    await message.reply("\n".join(lines))


@routes.message(Command("help"), GROUP)
async def group_help(message: Message, app: App) -> None:
    if app.registry.dispatch_chat_id == message.chat.id:
        await message.reply(texts.DISPATCH_GROUP_HELP)
        return
    unit = unit_of_chat(app, message.chat.id)
    if unit is None:
        await message.reply(texts.GROUP_NOT_BOUND)
        return
    await message.reply(texts.GROUP_HELP.format(unit=render.esc(unit.name)))
