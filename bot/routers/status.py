"""How is my case doing: /my, a case number in a message, "我上周反映的那个怎么样了",
and the resident's rating of a resolved case."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

import texts
from bot import keyboards as kb
from bot import render
from bot.deps import Commands
from bot.routers.common import PRIVATE, REFUSED, could_be_command, log, refuse
from bot.routes import InLoop, Routes
from dispatch.domain.case import Rating
from dispatch.domain.errors import OutdatedRound
from dispatch.domain.status import OPEN
from dispatch.service import queries
from dispatch.service.app import App

routes = Routes(__name__)
# Only /my and the rating buttons reach this router's handlers; anything else skips it in one
# check (a handler for anything else must widen these filters).
routes.message.skip_unless(InLoop(could_be_command))


def _tz(app: App) -> ZoneInfo:
    return ZoneInfo(app.settings.timezone)


@routes.message(Command("my"), PRIVATE)
async def my(message: Message, app: App) -> None:
    assert message.from_user is not None
    async with app.uow() as uow:
        cases = await queries.my_cases(uow, message.from_user.id)
    await message.answer(render.my_cases(cases, app.registry, _tz(app)))


async def answer_numbers(message: Message, app: App, numbers: Sequence[str]) -> None:
    assert message.from_user is not None
    replies = []
    async with app.uow() as uow:
        for number in list(dict.fromkeys(numbers))[:3]:
            case = await queries.case_by_number_for(uow, app.registry, message.from_user.id, number)
            if case is None:
                replies.append(texts.CASE_NOT_FOUND.format(number=render.esc(number)))
            else:
                replies.append(render.case_status(await queries.view_of(uow, case), app.registry, _tz(app)))
    await message.answer("\n\n".join(replies))


async def answer_latest(message: Message, app: App) -> None:
    """A status question without a number: the open cases (or the last one) of this person."""
    assert message.from_user is not None
    async with app.uow() as uow:
        cases = await queries.my_cases(uow, message.from_user.id, limit=10)
        if not cases:
            await message.answer(texts.STATUS_NO_CASES)
            return
        open_cases = [c for c in cases if c.status in OPEN][:3] or cases[:1]
        views = [await queries.view_of(uow, c) for c in open_cases]
    await message.answer("\n\n".join(render.case_status(v, app.registry, _tz(app)) for v in views))


@routes.callback_query(kb.RateCb.filter())
async def on_rate(cb: CallbackQuery, callback_data: kb.RateCb, commands: Commands) -> None:
    rating_id = kb.RATING_CODES.get(callback_data.rating)
    if rating_id is None:
        await cb.answer(texts.ALERT_STALE, show_alert=True)
        return
    try:
        case = await commands.rate(
            callback_data.case_id, cb.from_user.id, Rating(rating_id), rating_round=callback_data.round
        )
    except OutdatedRound as exc:  # an earlier round's message: its buttons go
        await refuse(cb, exc)
        if isinstance(cb.message, Message):
            try:
                await cb.message.edit_reply_markup(reply_markup=None)
            except TelegramBadRequest as edit_exc:
                log.debug("outdated rating buttons not removed: %s", edit_exc)
        return
    except REFUSED as exc:
        await refuse(cb, exc)
        return
    name = texts.RATING_ZH[rating_id]
    reopened = callback_data.rating == "u"
    await cb.answer(texts.RATE_REOPENED if reopened else texts.RATE_THANKS.format(rating=name))
    # One message: the request itself says what the rating did (for 不满意 the relay's notice
    # of the 返工 edits this same message, it does not add another).
    done = (
        render.rate_card(case, reworked_by_rating=True)[0]
        if reopened
        else texts.RATE_DONE.format(text=render.rate_ask(case), rating=name)
    )
    if isinstance(cb.message, Message):
        try:
            await cb.message.edit_text(done, reply_markup=None)
        except TelegramBadRequest as exc:
            log.debug("rating edit skipped: %s", exc)
