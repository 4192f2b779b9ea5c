"""How is my case doing: /my, a case number in a message, "我上周反映的那个怎么样了",
and the resident's answers on a resolved case: "问题解决了吗" (解决了 / 没解决), then how
satisfied; an unsolved or unhappy answer asks for a short reason (typed, or 跳过)."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from aiogram import F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove

import texts
from bot import keyboards as kb
from bot import render
from bot.deps import Commands
from bot.routers.common import PRIVATE, REFUSED, could_be_command, is_skip, log, refusal, refuse
from bot.routes import Routes
from bot.states import RateReason
from bot.transcript import current_case
from dispatch.domain.case import Rating
from dispatch.domain.errors import OutdatedRound
from dispatch.domain.status import OPEN
from dispatch.service import queries
from dispatch.service.app import App

routes = Routes(__name__)
REASON_LIMIT = 200  # characters of a resident's reason (不满意 / 没解决)


async def _reason_or_command(message: Message, raw_state: str | None = None) -> bool:
    """What this router's message handlers take: /my, and the reason of a rating."""
    return raw_state == RateReason.reason.state or could_be_command(message)


# Anything else skips this router in one check (a handler for anything else must widen these).
routes.message.skip_unless(_reason_or_command)


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


async def _edit(cb: CallbackQuery, text: str, markup: kb.InlineKeyboardMarkup | None = None) -> None:
    if isinstance(cb.message, Message):
        try:
            await cb.message.edit_text(text, reply_markup=markup)
        except TelegramBadRequest as exc:
            log.debug("rating edit skipped: %s", exc)


async def _refuse_press(cb: CallbackQuery, exc: Exception) -> None:
    """A refused press; an earlier round's message loses its buttons."""
    await refuse(cb, exc)
    if isinstance(exc, OutdatedRound) and isinstance(cb.message, Message):
        try:
            await cb.message.edit_reply_markup(reply_markup=None)
        except TelegramBadRequest as edit_exc:
            log.debug("outdated rating buttons not removed: %s", edit_exc)


@routes.callback_query(kb.SolvedCb.filter())
async def on_solved(cb: CallbackQuery, callback_data: kb.SolvedCb, app: App) -> None:
    """The first answer: nothing is stored yet; the second question carries it."""
    try:
        async with app.uow() as uow:
            case = await queries.can_rate(uow, cb.from_user.id, callback_data.case_id, callback_data.round)
    except REFUSED as exc:
        await _refuse_press(cb, exc)
        return
    await _edit(cb, *render.rate_satisfaction(case, callback_data.solved))  # before the answer:
    await cb.answer()  # the second question is there when the press is answered


@routes.callback_query(kb.RatingCb.filter())
async def on_rating(
    cb: CallbackQuery, callback_data: kb.RatingCb, state: FSMContext, commands: Commands
) -> None:
    rating_id = kb.RATING_CODES.get(callback_data.rating)
    if rating_id is None:
        await cb.answer(texts.ALERT_STALE, show_alert=True)
        return
    if callback_data.solved and rating_id != Rating.UNSATISFIED.value:
        await _rate(cb, commands, callback_data.case_id, Rating(rating_id), callback_data.round, True)
        return
    # 没解决 or 不满意: ask why before anything is stored.
    try:
        async with commands.app.uow() as uow:
            case = await queries.can_rate(uow, cb.from_user.id, callback_data.case_id, callback_data.round)
    except REFUSED as exc:
        await _refuse_press(cb, exc)
        return
    await state.set_state(RateReason.reason)
    message_id = cb.message.message_id if isinstance(cb.message, Message) else None
    await state.set_data(
        {
            "case": case.id,
            "rating": rating_id,
            "round": callback_data.round,
            "solved": callback_data.solved,
            "message": message_id,
        }
    )
    await _edit(cb, render.rate_answered(case, callback_data.solved, rating_id))
    await cb.answer()
    if isinstance(cb.message, Message):
        await cb.message.answer(
            texts.RATE_ASK_REASON.format(limit=REASON_LIMIT), reply_markup=kb.skip_keyboard()
        )


@routes.message(RateReason.reason, PRIVATE, F.text)
async def on_reason(message: Message, state: FSMContext, commands: Commands) -> None:
    """The reason (or 跳过): empty or too long is asked again, the state kept."""
    assert message.from_user is not None
    text = (message.text or "").strip()
    skipped = is_skip(text)
    if not skipped and not text:
        await message.answer(texts.RATE_REASON_EMPTY, reply_markup=kb.skip_keyboard())
        return
    if not skipped and len(text) > REASON_LIMIT:
        await message.answer(
            texts.RATE_REASON_TOO_LONG.format(limit=REASON_LIMIT, n=len(text)),
            reply_markup=kb.skip_keyboard(),
        )
        return
    data = await state.get_data()
    await state.clear()
    reason = "" if skipped else text
    case_id, rating, solved = int(data["case"]), Rating(str(data["rating"])), bool(data["solved"])
    token = current_case.set(case_id)
    try:
        try:
            case = await commands.rate(
                case_id, message.from_user.id, rating, int(data["round"]), solved=solved, reason=reason
            )
        except REFUSED as exc:
            await message.answer(refusal(exc), reply_markup=ReplyKeyboardRemove())
            return
        reopened = rating is Rating.UNSATISFIED
        name = texts.RATING_ZH[rating.value]
        reply = texts.RATE_REOPENED if reopened else texts.RATE_THANKS.format(rating=name)
        await message.answer(reply, reply_markup=ReplyKeyboardRemove())
        if data.get("message"):
            try:
                await message.bot.edit_message_text(  # type: ignore[union-attr]
                    render.rate_answered(case, solved, rating.value, reason),
                    chat_id=message.chat.id,
                    message_id=int(data["message"]),
                )
            except TelegramBadRequest as exc:
                log.debug("rating edit skipped: %s", exc)
    finally:
        current_case.reset(token)


async def _rate(
    cb: CallbackQuery,
    commands: Commands,
    case_id: int,
    rating: Rating,
    rating_round: int,
    solved: bool | None,
) -> None:
    try:
        case = await commands.rate(case_id, cb.from_user.id, rating, rating_round, solved=solved)
    except REFUSED as exc:
        await _refuse_press(cb, exc)
        return
    name = texts.RATING_ZH[rating.value]
    reopened = rating is Rating.UNSATISFIED
    await cb.answer(texts.RATE_REOPENED if reopened else texts.RATE_THANKS.format(rating=name))
    await _edit(cb, render.rate_answered(case, solved, rating.value))
    if reopened and isinstance(cb.message, Message):
        await cb.message.answer(texts.RATE_REOPENED)


@routes.callback_query(kb.RateCb.filter())
async def on_rate(cb: CallbackQuery, callback_data: kb.RateCb, commands: Commands) -> None:
    """A rating button of a request sent before the two questions (one press, no 解决 answer)."""
    rating_id = kb.RATING_CODES.get(callback_data.rating)
    if rating_id is None:
        await cb.answer(texts.ALERT_STALE, show_alert=True)
        return
    await _rate(cb, commands, callback_data.case_id, Rating(rating_id), callback_data.round, None)
