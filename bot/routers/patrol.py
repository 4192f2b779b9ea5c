"""Patrols (巡查) in the grid worker's private chat.

/patrol or the menu button: off patrol, how to start (share a live location); on patrol, end
it. A live location (a location with `live_period`) from a grid worker with no conversation
in progress starts a patrol; each edit of that message is a track point (`edited_message`);
the final edit comes without `live_period` when the sharing stops, and ends the patrol. The
summary ends with [✅ 巡查无异常].

Live-location edits are not kept in the transcript (bot/transcript.py): the patrol's track is
their only record, and only while a patrol is open."""

from __future__ import annotations

from aiogram import F
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

import texts
from bot import patrol_keyboards as pkb
from bot import patrol_render
from bot.routers.common import CB_PRIVATE, PRIVATE, could_be_command
from bot.routes import InLoop, InState, Routes
from dispatch.domain.errors import NotAuthorised
from dispatch.domain.members import Role
from dispatch.domain.patrol import Patrol
from dispatch.service.app import App
from dispatch.service.patrols import PatrolOpen

routes = Routes(__name__)


def _live(message: Message) -> bool:
    return message.location is not None and message.location.live_period is not None


def _patrol_message(message: Message) -> bool:
    """What this router's message handlers take: commands and live locations."""
    return could_be_command(message) or _live(message)


routes.message.skip_unless(InLoop(_patrol_message))


async def _is_worker(app: App, tg_id: int) -> bool:
    async with app.uow() as uow:
        member = await uow.members.by_tg(tg_id)
    return member is not None and member.has(Role.GRID_WORKER)


def _summary(app: App, p: Patrol) -> str:
    return patrol_render.summary(p, app.registry, app.patrols.tz, app.registry.policy.patrol)


async def _end(message: Message, app: App, tg_id: int) -> None:
    p = await app.patrols.end(tg_id)
    if p is None:
        await message.answer(texts.PATROL_NONE, reply_markup=pkb.menu(False))
        return
    await message.answer(_summary(app, p), reply_markup=pkb.ok_button(p.id or 1))


async def _toggle(message: Message, app: App, tg_id: int, want: str | None = None) -> None:
    if not await _is_worker(app, tg_id):
        await message.answer(texts.PATROL_NOT_WORKER)
        return
    open_ = await app.patrols.open_patrol(tg_id)
    if open_ is not None and want != "start":
        await _end(message, app, tg_id)
    elif open_ is not None:
        since = patrol_render.hm(open_.started_at, app.patrols.tz)
        await message.answer(texts.PATROL_ALREADY.format(time=since), reply_markup=pkb.menu(True))
    elif want == "end":
        await message.answer(texts.PATROL_NONE, reply_markup=pkb.menu(False))
    else:
        await message.answer(texts.PATROL_HOW)


@routes.message(Command("patrol"), PRIVATE)
async def patrol_command(message: Message, app: App) -> None:
    assert message.from_user is not None
    await _toggle(message, app, message.from_user.id)


@routes.callback_query(pkb.PatrolCb.filter(F.action.in_({"start", "end"})), CB_PRIVATE)
async def patrol_button(cb: CallbackQuery, callback_data: pkb.PatrolCb, app: App) -> None:
    await cb.answer()
    assert isinstance(cb.message, Message)
    await _toggle(cb.message, app, cb.from_user.id, callback_data.action)


@routes.callback_query(pkb.PatrolCb.filter(F.action == "ok"), CB_PRIVATE)
async def patrol_ok(cb: CallbackQuery, callback_data: pkb.PatrolCb, app: App) -> None:
    try:
        await app.patrols.mark_ok(cb.from_user.id, callback_data.patrol)
    except NotAuthorised:
        await cb.answer(texts.ALERT_FORBIDDEN, show_alert=True)
        return
    await cb.answer(texts.PATROL_OK_DONE)
    assert isinstance(cb.message, Message)
    await cb.message.edit_reply_markup(reply_markup=None)
    await cb.message.answer(texts.PATROL_OK_DONE)


@routes.message(InState(None), PRIVATE, InLoop(_live))
async def live_location(message: Message, app: App) -> None:
    """A live location: a grid worker's patrol begins. Anyone else's goes on to the report
    flow as a place (SkipHandler)."""
    assert message.from_user is not None and message.location is not None
    tg_id = message.from_user.id
    if not await _is_worker(app, tg_id):
        raise SkipHandler
    if message.forward_origin is not None:
        await message.answer(texts.PATROL_FORWARDED)
        return
    loc = message.location
    try:
        p = await app.patrols.start(tg_id, message.message_id, loc.latitude, loc.longitude,
                                    loc.live_period, app.clock.now())
    except PatrolOpen as exc:
        await message.answer(texts.PATROL_ALREADY.format(
            time=patrol_render.hm(exc.patrol.started_at, app.patrols.tz)), reply_markup=pkb.menu(True))
        return
    await message.answer(texts.PATROL_STARTED.format(time=patrol_render.hm(p.started_at, app.patrols.tz)),
                         reply_markup=pkb.menu(True))


@routes.edited_message(PRIVATE, F.location)
async def live_update(message: Message, app: App) -> None:
    """One update of a live location; without `live_period` the sharing stopped."""
    assert message.from_user is not None and message.location is not None
    loc = message.location
    result = await app.patrols.update(message.from_user.id, message.message_id, loc.latitude, loc.longitude,
                                      loc.live_period is not None, app.clock.now())
    if result.ended is not None:
        p = result.ended
        await message.answer(_summary(app, p), reply_markup=pkb.ok_button(p.id or 1))
