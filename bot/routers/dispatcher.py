"""Dispatchers on a 待分拨 card (in the dispatchers' group or privately): 派给 one of the likely
units, or 退回 the unit that returned the case to handle it after all. Only dispatchers may;
a forged or stale press is answered and changes nothing."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message

import texts
from bot import keyboards as kb
from bot import render
from bot.deps import Commands, People
from bot.routers.common import REFUSED, log, refuse
from bot.routes import Routes
from dispatch.domain.members import Role
from dispatch.domain.status import CaseStatus
from dispatch.service import queries
from dispatch.service.app import App

routes = Routes(__name__)
WAITING = (CaseStatus.TRIAGE, CaseStatus.RETURNED)


@routes.callback_query(kb.DispatchCb.filter())
async def on_dispatch(
    cb: CallbackQuery, callback_data: kb.DispatchCb, app: App, commands: Commands, people: People
) -> None:
    member = await people.get(cb.from_user.id)
    if member is None or not member.has(Role.DISPATCHER):
        log.info("dispatch press refused: user=%s is no dispatcher", cb.from_user.id)
        await cb.answer(texts.DISPATCH_NOT_DISPATCHER, show_alert=True)
        return
    registry, unit = app.registry, callback_data.unit
    async with app.uow() as uow:
        case = await uow.cases.get(callback_data.case_id)
        view = await queries.view_of(uow, case) if case is not None else None
    if view is None or unit not in registry.units or callback_data.action not in ("to", "back"):
        await cb.answer(texts.ALERT_STALE, show_alert=True)
        return
    if view.case.status not in WAITING:
        await cb.answer(texts.ALERT_HANDLED, show_alert=True)
        return
    if callback_data.action == "back" and view.returned_by != unit:
        await cb.answer(texts.ALERT_STALE, show_alert=True)
        return
    note = texts.DISPATCH_BACK_NOTE if callback_data.action == "back" else texts.DISPATCH_DONE_NOTE
    try:
        await commands.reassign(view.case.id or 0, cb.from_user.id, unit, note)
    except REFUSED as exc:
        await refuse(cb, exc)
        return
    await cb.answer(texts.DISPATCH_DONE.format(unit=registry.unit_name(unit)))
    if isinstance(cb.message, Message):  # the card shows where the case went
        async with app.uow() as uow:
            fresh = await uow.cases.get(view.case.id or 0)
            assert fresh is not None
            text, markup = render.triage_card(await queries.view_of(uow, fresh), registry,
                                              app.settings.console_url)
        try:
            await cb.message.edit_text(text, reply_markup=markup)
        except TelegramBadRequest as exc:
            log.debug("triage card edit skipped: %s", exc)
