"""The summary card of a report: [提交] [改地点] [改描述] [改照片] [改类别] [取消], and
[现场已处置] for grid workers (小事不出格: the grid worker fixed it and sends a result photo;
the case is closed at once).
Photos sent while the card shows are added to it."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove

import texts
from bot import keyboards as kb
from bot import render
from bot.deps import Commands, Debouncer, People
from bot.draft import add_photo, edit_quietly, first_of_album, make_draft
from bot.report_draft import Draft
from bot.routers.common import CB_PRIVATE, PHOTO, PRIVATE, log, photo_id
from bot.routes import Routes
from bot.states import Report
from bot.transcript import Transcript, current_case
from dispatch.domain.case import Case
from dispatch.domain.errors import DomainError
from dispatch.domain.members import Role
from dispatch.service import chat_submissions
from dispatch.service.app import App

routes = Routes(__name__)
routes.message.filter(PRIVATE)
routes.callback_query.filter(CB_PRIVATE)


# -- the summary card ---------------------------------------------------------------------------------------
@routes.message(Report.confirm, PHOTO)
async def on_confirm_photo(
    message: Message,
    state: FSMContext,
    app: App,
    people: People,
    bot: Bot,
    debouncer: Debouncer,
    transcript_id: int | None = None,
) -> None:
    draft = (await Draft.load(state)).heard(transcript_id)
    fid = photo_id(message)
    first = first_of_album(draft, message)
    if fid:
        add_photo(draft, fid)
    await draft.save(state)

    async def refresh() -> None:  # once per album: the card shows the new count
        if await state.get_state() != Report.confirm.state:
            return
        now = await Draft.load(state)
        member = await people.get(message.chat.id)
        worker = bool(member and member.has(Role.GRID_WORKER))
        if now.card_id is not None:
            try:
                await bot.edit_message_text(
                    render.summary(now, app.registry),
                    chat_id=message.chat.id,
                    message_id=now.card_id,
                    reply_markup=kb.summary_keyboard(now.nonce, worker),
                )
            except TelegramBadRequest as exc:
                log.debug("summary edit skipped: %s", exc)
        await message.answer(texts.PHOTO_ADDED.format(n=len(now.photos)))

    if draft.card_id and first:
        if message.media_group_id is None:
            await refresh()
        else:
            debouncer.call_later((message.chat.id, message.media_group_id), refresh)


@routes.message(Report.confirm)
async def on_confirm_other(message: Message) -> None:
    await message.answer(texts.WAIT_BUTTON)


async def _draft_or_stale(cb: CallbackQuery, callback_data: kb.DraftCb, state: FSMContext) -> Draft | None:
    draft = await Draft.load(state)
    if draft.nonce != callback_data.draft or await state.get_state() != Report.confirm.state:
        await cb.answer(texts.DRAFT_STALE, show_alert=True)
        return None
    return draft


@routes.callback_query(kb.DraftCb.filter(F.action == "ok"))
async def on_submit(
    cb: CallbackQuery,
    callback_data: kb.DraftCb,
    state: FSMContext,
    app: App,
    commands: Commands,
    transcript: Transcript,
) -> None:
    draft = await Draft.load(state)
    current = draft.nonce == callback_data.draft and await state.get_state() == Report.confirm.state
    # The conversation is cleared before a submit and the card kept only when it failed, so a
    # press on the current card of a draft never tried cannot have made a case: the lookup is
    # for the others (pressed again after a lost answer, a worker that died after the commit,
    # a failure after which the commit may still have happened).
    if not current or draft.submit_failed:
        async with app.uow() as uow:
            made = await chat_submissions.submitted(uow, cb.from_user.id, callback_data.draft)
        if made is not None:  # this press was handled before; its answer may never have arrived
            if current:
                await state.clear()
            await cb.answer()
            assert isinstance(cb.message, Message)
            reply = await _submitted_reply(app, commands, made)
            await cb.message.answer(reply, reply_markup=ReplyKeyboardRemove())
            return
    if not current:
        await cb.answer(texts.DRAFT_STALE, show_alert=True)
        return
    await state.clear()  # a second press is stale from here on
    try:
        reporter = await commands.member_of(cb.from_user.id, cb.from_user.full_name)
        made_now = chat_submissions.record(cb.from_user.id, draft.nonce, app.service.clock.now())
        case = await commands.submit(make_draft(draft, reporter), made_now)
    except Exception:
        log.exception("submit failed for %s", cb.from_user.id)
        await state.set_state(Report.confirm)
        draft.submit_failed = True  # it may have committed before failing: look first next time
        await draft.save(state)
        await cb.answer(texts.SUBMIT_FAILED, show_alert=True)
        return
    await cb.answer()
    message = cb.message
    assert isinstance(message, Message)
    token = current_case.set(case.id)
    try:
        summary = render.summary(draft, app.registry)
        await edit_quietly(message, texts.SUMMARY_SUBMITTED.format(summary=summary, number=case.number), None)
        await message.answer(await _submitted_reply(app, commands, case), reply_markup=ReplyKeyboardRemove())
    finally:
        current_case.reset(token)
    if draft.first_transcript_id and case.id is not None:
        transcript.link_nowait(message.chat.id, draft.first_transcript_id, case.id)


async def _submitted_reply(app: App, commands: Commands, case: Case) -> str:
    """What the person is told once their report is a case."""
    if case.duplicate_of is not None:
        other = await _number_of(app, case.duplicate_of)
        reply = texts.SUBMITTED_DUPLICATE.format(number=case.number, other=other)
    elif case.unit_id:
        reply = texts.SUBMITTED.format(
            number=case.number,
            unit=render.esc(app.registry.unit_name(case.unit_id)),
            due=render.when(case.due_at, commands.tz),
        )
    else:
        reply = texts.SUBMITTED_TRIAGE.format(number=case.number)
    if case.emergency:
        reply += "\n" + texts.SUBMITTED_EMERGENCY
    return reply


async def _number_of(app: App, case_id: int) -> str:
    async with app.uow() as uow:
        case = await uow.cases.get(case_id)
    return case.number if case else "—"


@routes.callback_query(kb.DraftCb.filter(F.action == "cat"))
async def on_change_category(
    cb: CallbackQuery, callback_data: kb.DraftCb, state: FSMContext, app: App
) -> None:
    draft = await _draft_or_stale(cb, callback_data, state)
    if draft is None:
        return
    await cb.answer()
    message = cb.message
    assert isinstance(message, Message)
    await edit_quietly(
        message,
        render.summary(draft, app.registry) + "\n\n" + texts.ASK_CATEGORY_CHANGE,
        kb.category_keyboard(draft.nonce, render.all_categories(app.registry), other=True),
    )


@routes.callback_query(kb.DraftCb.filter(F.action.in_({"loc", "txt", "pho"})))
async def on_change(
    cb: CallbackQuery, callback_data: kb.DraftCb, state: FSMContext, app: App
) -> None:
    """改地点 / 改描述 / 改照片: the card steps aside (no buttons), the one question is asked
    again, and a new card follows the answer."""
    draft = await _draft_or_stale(cb, callback_data, state)
    if draft is None:
        return
    await cb.answer()
    message = cb.message
    assert isinstance(message, Message)
    await edit_quietly(
        message, texts.SUMMARY_EDITING.format(summary=render.summary(draft, app.registry)), None
    )
    draft.new_nonce()
    draft.editing = True
    markup: ReplyKeyboardMarkup | ReplyKeyboardRemove
    if callback_data.action == "loc":
        await state.set_state(Report.location)
        question, markup = texts.ASK_CHANGE_PLACE, kb.location_keyboard()
    elif callback_data.action == "txt":
        await state.set_state(Report.describe)
        question, markup = texts.ASK_CHANGE_TEXT, ReplyKeyboardRemove()
    else:
        draft.photos, draft.editing = [], False
        await state.set_state(Report.photos)
        question, markup = texts.ASK_CHANGE_PHOTOS, kb.photos_keyboard()
    await draft.save(state)
    await message.answer(question, reply_markup=markup)


@routes.callback_query(kb.FollowCb.filter())
async def on_follow(
    cb: CallbackQuery, callback_data: kb.FollowCb, state: FSMContext, app: App, bot: Bot, commands: Commands
) -> None:
    """关注 an open case nearby: the person follows it and the draft is dropped."""
    draft = await Draft.load(state)
    if draft.nonce != callback_data.draft or await state.get_state() != Report.confirm.state:
        await cb.answer(texts.DRAFT_STALE, show_alert=True)
        return
    try:
        case = await commands.follow(callback_data.case_id, cb.from_user.id)
    except DomainError as exc:
        log.info("follow refused: user=%s case=%s: %s", cb.from_user.id, callback_data.case_id, exc)
        await cb.answer(texts.ALERT_HANDLED, show_alert=True)
        return
    await state.clear()
    await cb.answer()
    message = cb.message
    assert isinstance(message, Message)
    try:
        await message.edit_reply_markup(reply_markup=None)
    except TelegramBadRequest as exc:
        log.debug("nearby buttons not removed: %s", exc)
    if draft.card_id is not None:
        summary = render.summary(draft, app.registry)
        try:
            await bot.edit_message_text(
                texts.SUMMARY_FOLLOWED.format(summary=summary, number=case.number),
                chat_id=message.chat.id, message_id=draft.card_id, reply_markup=None,
            )
        except TelegramBadRequest as exc:
            log.debug("summary edit skipped: %s", exc)
    await message.answer(texts.FOLLOWED.format(number=case.number), reply_markup=ReplyKeyboardRemove())


@routes.callback_query(kb.DraftCb.filter(F.action == "no"))
async def on_cancel_draft(cb: CallbackQuery, callback_data: kb.DraftCb, state: FSMContext, app: App) -> None:
    draft = await _draft_or_stale(cb, callback_data, state)
    if draft is None:
        return
    await state.clear()
    await cb.answer(texts.CANCELLED)
    message = cb.message
    assert isinstance(message, Message)
    summary = render.summary(draft, app.registry)
    await edit_quietly(message, texts.SUMMARY_CANCELLED.format(summary=summary), None)
    await message.answer(texts.CANCELLED, reply_markup=ReplyKeyboardRemove())


# -- 现场已处置 (grid workers) ------------------------------------------------------------------------
@routes.callback_query(kb.DraftCb.filter(F.action == "spot"))
async def on_spot(cb: CallbackQuery, callback_data: kb.DraftCb, state: FSMContext, people: People) -> None:
    draft = await _draft_or_stale(cb, callback_data, state)
    if draft is None:
        return
    member = await people.get(cb.from_user.id)
    if member is None or not member.has(Role.GRID_WORKER):
        await cb.answer(texts.ALERT_FORBIDDEN, show_alert=True)
        return
    await state.set_state(Report.on_spot)
    await cb.answer()
    assert isinstance(cb.message, Message)
    await cb.message.answer(texts.ON_SPOT_ASK_PHOTO)


@routes.message(Report.on_spot, PHOTO)
async def on_spot_photo(
    message: Message,
    state: FSMContext,
    commands: Commands,
    transcript: Transcript,
    transcript_id: int | None = None,
) -> None:
    draft = (await Draft.load(state)).heard(transcript_id)
    fid = photo_id(message)
    assert message.from_user is not None
    report = make_draft(
        draft,
        await commands.member_of(message.from_user.id, message.from_user.full_name),
        on_spot=True,
        on_spot_note=(message.caption or "").strip(),
        result_photos=[fid] if fid else [],
    )
    await state.clear()
    try:
        case = await commands.submit(report)
    except DomainError:
        log.exception("on-spot submit failed")
        await state.set_state(Report.on_spot)
        await draft.save(state)
        await message.answer(texts.SUBMIT_FAILED)
        return
    if message.media_group_id:
        await Draft(album_done=message.media_group_id).save(state)
    token = current_case.set(case.id)
    try:
        await message.answer(
            texts.ON_SPOT_DONE.format(number=case.number), reply_markup=ReplyKeyboardRemove()
        )
    finally:
        current_case.reset(token)
    if draft.first_transcript_id and case.id is not None:
        transcript.link_nowait(message.chat.id, draft.first_transcript_id, case.id)


@routes.message(Report.on_spot)
async def on_spot_other(message: Message) -> None:
    await message.answer(texts.ON_SPOT_ASK_PHOTO)
