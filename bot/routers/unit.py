"""Unit groups: [接单] [退回] [办结] on a case card; the reason for a return (in the group);
the result photo and note for 办结 (in the member's private chat).

The card itself is edited by the relay from the case's new state (card_update rows)."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove

import texts
from bot import keyboards as kb
from bot import render
from bot.deps import Commands, Debouncer
from bot.routers.common import GROUP, PHOTO, PRIVATE, REFUSED, is_skip, log, photo_id, refuse
from bot.routes import Routes
from bot.states import Resolve, ReturnCase
from bot.transcript import current_case
from dispatch.domain.errors import IllegalTransition
from dispatch.domain.status import CaseStatus
from dispatch.service import queries
from dispatch.service.app import App

routes = Routes(__name__)
# Presses of other buttons skip this router in one check (so must a new kind of button here be
# added); messages skip it outside the states its handlers wait in (Routes does that itself).


async def _pre_check(cb: CallbackQuery, app: App, case_id: int, allowed: set[CaseStatus]) -> Any:
    """A friendly early refusal; the command checks again in its transaction."""
    try:
        async with app.uow() as uow:
            case = await queries.can_handle(uow, cb.from_user.id, case_id)
            member = await uow.members.by_tg(cb.from_user.id)
        if case.status not in allowed:
            raise IllegalTransition(case.number, case.status.value, "/".join(sorted(allowed)))
        return case, member
    except REFUSED as exc:
        await refuse(cb, exc)
        return None


# -- 接单 -------------------------------------------------------------------------------------------
@routes.callback_query(kb.UnitCb.filter(F.action == "acc"))
async def on_accept(cb: CallbackQuery, callback_data: kb.UnitCb, commands: Commands) -> None:
    try:
        await commands.accept(callback_data.case_id, cb.from_user.id)
    except REFUSED as exc:
        await refuse(cb, exc)
        return
    await cb.answer(texts.ACCEPTED_ALERT)


# -- 退回 -------------------------------------------------------------------------------------------
@routes.callback_query(kb.UnitCb.filter(F.action == "ret"))
async def on_return(cb: CallbackQuery, callback_data: kb.UnitCb, state: FSMContext, app: App) -> None:
    checked = await _pre_check(cb, app, callback_data.case_id, {CaseStatus.DISPATCHED, CaseStatus.ACCEPTED})
    if checked is None:
        return
    case, _ = checked
    await state.set_state(ReturnCase.reason)
    await state.update_data(case=case.id)
    await cb.answer()
    assert isinstance(cb.message, Message)
    await cb.message.answer(
        texts.RETURN_ASK.format(name=render.esc(cb.from_user.full_name), number=case.number),
        reply_markup=kb.return_reasons_keyboard(case.id),
        reply_to_message_id=cb.message.message_id,
    )


async def _do_return(case_id: int, tg_id: int, reason: str, commands: Commands) -> Any:
    return await commands.return_case(case_id, tg_id, reason)


@routes.callback_query(kb.ReturnCb.filter())
async def on_return_reason(
    cb: CallbackQuery, callback_data: kb.ReturnCb, state: FSMContext, commands: Commands
) -> None:
    reason = texts.RETURN_REASONS.get(callback_data.reason)
    if reason is None:
        await cb.answer(texts.ALERT_STALE, show_alert=True)
        return
    try:
        case = await _do_return(callback_data.case_id, cb.from_user.id, reason, commands)
    except REFUSED as exc:
        await refuse(cb, exc)
        return
    if (await state.get_data()).get("case") == callback_data.case_id:
        await state.clear()
    await cb.answer()
    if isinstance(cb.message, Message):
        try:
            await cb.message.edit_text(
                texts.RETURN_OK.format(number=case.number, reason=render.esc(reason)), reply_markup=None
            )
        except TelegramBadRequest as exc:
            log.debug("return prompt edit skipped: %s", exc)


@routes.message(ReturnCase.reason, GROUP, F.text)
async def on_return_text(message: Message, state: FSMContext, commands: Commands) -> None:
    assert message.from_user is not None
    data = await state.get_data()
    await state.clear()
    reason = render.clip(message.text or "", 500)
    try:
        case = await _do_return(int(data["case"]), message.from_user.id, reason, commands)
    except REFUSED as exc:
        await message.reply(
            texts.ALERT_HANDLED if isinstance(exc, IllegalTransition) else texts.ALERT_FORBIDDEN
        )
        return
    await message.reply(texts.RETURN_OK.format(number=case.number, reason=render.esc(reason)))


# -- 办结 -------------------------------------------------------------------------------------------
@routes.callback_query(kb.UnitCb.filter(F.action == "res"))
async def on_resolve(
    cb: CallbackQuery, callback_data: kb.UnitCb, app: App, bot: Bot, fsm_storage: BaseStorage
) -> None:
    checked = await _pre_check(cb, app, callback_data.case_id, {CaseStatus.ACCEPTED})
    if checked is None:
        return
    case, member = checked
    if case.accepted_by not in (None, member.id):
        log.info("resolve refused: user=%s is not the accepting member of case %s", cb.from_user.id, case.id)
        async with app.uow() as uow:
            accepter = await uow.members.get(case.accepted_by)
        name = f"「{accepter.name}」" if accepter is not None and accepter.name else ""
        await cb.answer(texts.RESOLVE_ONLY_ACCEPTER.format(name=name), show_alert=True)
        return
    user_id = cb.from_user.id
    private = FSMContext(storage=fsm_storage, key=StorageKey(bot_id=bot.id, chat_id=user_id, user_id=user_id))
    await private.set_state(Resolve.photo)
    await private.set_data({"case": case.id, "photos": []})
    token = current_case.set(case.id)
    try:
        await bot.send_message(
            user_id,
            texts.RESOLVE_PROMPT.format(
                number=case.number,
                category=render.esc(app.registry.category_name(case.category)),
                place=render.esc(render.place_of(case)),
            ),
        )
    except (TelegramForbiddenError, TelegramBadRequest) as exc:
        log.info("cannot reach %s privately: %s", user_id, exc)
        await private.clear()
        await cb.answer(texts.RESOLVE_NEED_START, show_alert=True)
        return
    finally:
        current_case.reset(token)
    await cb.answer(texts.RESOLVE_ASK_PRIVATE)


@routes.message(Resolve.photo, PRIVATE, PHOTO)
@routes.message(Resolve.note, PRIVATE, PHOTO)
async def on_result_photo(
    message: Message, state: FSMContext, debouncer: Debouncer, commands: Commands
) -> None:
    """A result photo. Its caption is the note: then the case is resolved at once (after the
    whole album); without one, the note is asked for."""
    data = await state.get_data()
    fid = photo_id(message)
    if fid and len(data.get("photos") or []) < 10:
        data["photos"] = [*(data.get("photos") or []), fid]
    caption = (message.caption or "").strip()
    if caption:
        data["note"] = _joined(data.get("note"), caption)
    await state.set_data(data)
    await state.set_state(Resolve.note)

    async def next_step() -> None:  # once per album, with the final count and every caption
        if await state.get_state() != Resolve.note.state:
            return
        current = await state.get_data()
        if current.get("note"):
            await _finish_resolve(message, state, commands, current, current["note"])
            return
        n = len(current.get("photos") or [])
        await message.answer(texts.RESOLVE_ASK_NOTE.format(n=n), reply_markup=kb.skip_keyboard())

    if message.media_group_id is None:
        await next_step()
    else:
        debouncer.call_later((message.chat.id, message.media_group_id), next_step)


def _joined(first: str | None, more: str) -> str:
    return f"{first}\n{more}" if first else more


@routes.message(Resolve.photo, PRIVATE)
async def on_result_no_photo(message: Message) -> None:
    await message.answer(texts.RESOLVE_NEED_PHOTO)


@routes.message(Resolve.note, PRIVATE, F.text)
async def on_result_note(message: Message, state: FSMContext, commands: Commands) -> None:
    data = await state.get_data()
    caption = data.get("note")  # a caption already given is kept, the typed note added
    if is_skip(message.text):
        note = caption or texts.RESOLVE_DEFAULT_NOTE
    else:
        note = _joined(caption, message.text or "")
    await _finish_resolve(message, state, commands, data, note)


async def _finish_resolve(
    message: Message, state: FSMContext, commands: Commands, data: dict[str, Any], note: str
) -> None:
    assert message.from_user is not None
    await state.clear()
    case_id = int(data["case"])
    token = current_case.set(case_id)
    try:
        case = await commands.resolve(
            case_id, message.from_user.id, render.clip(note, 1000), list(data.get("photos") or [])
        )
        reply = texts.RESOLVED_OK.format(number=case.number)
    except REFUSED as exc:
        reply = texts.ALERT_HANDLED if isinstance(exc, IllegalTransition) else texts.ALERT_FORBIDDEN
    try:
        await message.answer(reply, reply_markup=ReplyKeyboardRemove())
    finally:
        current_case.reset(token)
