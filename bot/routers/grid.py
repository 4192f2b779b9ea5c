"""Grid workers: 核查 tasks ([核查通过] [未解决]) and /tasks (also for unit members and
dispatchers: what is waiting for them)."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove

import texts
from bot import keyboards as kb
from bot import render
from bot.deps import Commands
from bot.routers.common import PRIVATE, REFUSED, could_be_command, is_skip, refuse
from bot.routes import Routes
from bot.states import VerifyFail
from bot.transcript import current_case
from dispatch.domain.errors import IllegalTransition
from dispatch.domain.status import CaseStatus
from dispatch.service import queries
from dispatch.service.app import App

routes = Routes(__name__)


async def _verify_note_or_command(message: Message, raw_state: str | None = None) -> bool:
    """What this router's message handlers take: the note of 未解决, and /tasks."""
    return raw_state == VerifyFail.note.state or could_be_command(message)


# Anything else skips this router in one check (a handler for anything else must widen these).
routes.message.skip_unless(_verify_note_or_command)


@routes.callback_query(kb.VerifyCb.filter(F.ok))
async def on_verify_ok(cb: CallbackQuery, callback_data: kb.VerifyCb, commands: Commands) -> None:
    try:
        await commands.verify(callback_data.case_id, cb.from_user.id, True)
    except REFUSED as exc:
        await refuse(cb, exc)
        return
    await cb.answer(texts.VERIFY_OK)


@routes.callback_query(kb.VerifyCb.filter(~F.ok))
async def on_verify_fail(cb: CallbackQuery, callback_data: kb.VerifyCb, state: FSMContext, app: App) -> None:
    try:
        async with app.uow() as uow:
            case = await queries.can_verify(uow, app.registry, cb.from_user.id, callback_data.case_id)
        if case.status is not CaseStatus.RESOLVED:
            raise IllegalTransition(case.number, case.status.value, "reopened")
    except REFUSED as exc:
        await refuse(cb, exc)
        return
    await state.set_state(VerifyFail.note)
    await state.set_data({"case": case.id})
    await cb.answer()
    assert isinstance(cb.message, Message)
    await cb.message.answer(texts.VERIFY_ASK_NOTE, reply_markup=kb.skip_keyboard())


@routes.message(VerifyFail.note, PRIVATE, F.text)
async def on_verify_note(message: Message, state: FSMContext, commands: Commands) -> None:
    assert message.from_user is not None
    data = await state.get_data()
    await state.clear()
    note = texts.VERIFY_FAIL_DEFAULT if is_skip(message.text) else render.clip(message.text or "", 500)
    case_id = int(data["case"])
    token = current_case.set(case_id)
    try:
        try:
            case = await commands.verify(case_id, message.from_user.id, False, note)
            reply = texts.VERIFY_FAIL_OK.format(
                unit=render.esc(commands.app.registry.unit_name(case.unit_id)), note=render.esc(note)
            )
        except REFUSED as exc:
            reply = texts.ALERT_HANDLED if isinstance(exc, IllegalTransition) else texts.ALERT_FORBIDDEN
        await message.answer(reply, reply_markup=ReplyKeyboardRemove())
    finally:
        current_case.reset(token)


@routes.message(Command("tasks"), PRIVATE)
async def tasks(message: Message, app: App) -> None:
    assert message.from_user is not None
    async with app.uow() as uow:
        member = await uow.members.by_tg(message.from_user.id)
        if member is None:
            await message.answer(texts.TASKS_NOT_STAFF)
            return
        verify = await queries.verify_tasks(uow, app.registry, member)
        unit = await queries.unit_tasks(uow, member)
        triage = await queries.triage_tasks(uow, member)
    if not (member.grids or member.units or member.is_staff):
        await message.answer(texts.TASKS_NOT_STAFF)
        return
    parts = [texts.TASKS_HEADER]
    for cases, header in (
        (verify, texts.TASKS_VERIFY),
        (unit, texts.TASKS_UNIT),
        (triage, texts.TASKS_TRIAGE),
    ):
        if cases:
            parts.append(header.format(n=len(cases)))
            parts.extend(render.task_lines(cases, app.registry))
    if len(parts) == 1:
        parts.append(texts.TASKS_EMPTY)
    markup = kb.tasks_keyboard([(c.id, render.short_number(c.number)) for c in verify[:8] if c.id])
    await message.answer("\n".join(parts), reply_markup=markup)
