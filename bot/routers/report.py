"""Residents and grid workers report a problem in the private chat.

    text ─► (low confidence: top-3 + 其他) ─► location (button / typed address / 跳过)
         ─► photos (optional, albums too) ─► summary card [提交][改类别][取消] (+[现场已处置])
         ─► submit: case number and expected handling time

This module: the way in and the questions (category, place, photos). A photo or a location
may come first; the bot then asks for the words. Non-report messages (greetings, thanks,
help, status questions, case numbers) get their own answers. The summary card and what its
buttons do: `summary.py`; the draft and the steps between questions: `bot/draft.py`."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove

import texts
from bot import keyboards as kb
from bot import render
from bot.deps import Classifier, Debouncer, People
from bot.draft import (
    add_caption,
    add_photo,
    ask_which,
    begin,
    continues,
    edit_quietly,
    first_of_album,
    resolve_place,
    set_point,
    show_summary,
    to_location,
    to_photos,
)
from bot.report_draft import Draft
from bot.routers import status
from bot.routers.common import CB_PRIVATE, MAX_PHOTOS, PHOTO, PRIVATE, is_done, is_skip, photo_id
from bot.routes import Routes
from bot.states import Report
from dispatch.domain.members import Role
from dispatch.domain.numbering import find_case_numbers
from dispatch.service.app import App
from dispatch.service.locate import valid_point

routes = Routes(__name__)
routes.message.filter(PRIVATE)
routes.callback_query.filter(CB_PRIVATE)


# -- the way in --------------------------------------------------------------------------------------
_STEP_ANSWERS = frozenset({texts.BTN_SKIP, texts.BTN_DONE, texts.BTN_SEND_LOCATION})
_USE_PLACE = texts.BTN_USE_PLACE.split("{place}")[0]


def is_lost_step(app: App, text: str) -> bool:
    """A reply-keyboard button's text (跳过 / 完成 / 发送位置, or 就在 + exactly a known place's
    name) sent with no conversation to answer: its state was lost."""
    text = text.strip()
    if text in _STEP_ANSWERS:
        return True
    if not text.startswith(_USE_PLACE):
        return False
    found = resolve_place(app.registry, text)
    return found is not None and text == texts.BTN_USE_PLACE.format(place=found.place)


@routes.message(StateFilter(None), F.text)
async def on_text(
    message: Message,
    state: FSMContext,
    app: App,
    nlu: Classifier,
    people: People,
    ask_threshold: float,
    transcript_id: int | None = None,
) -> None:
    text = message.text or ""
    if text.startswith("/"):
        await message.answer(texts.HELP)
        return
    assert message.from_user is not None
    if is_lost_step(app, text):
        await message.answer(texts.STEP_LOST, reply_markup=ReplyKeyboardRemove())
        return
    numbers = find_case_numbers(text)
    if numbers:
        await status.answer_numbers(message, app, numbers)
        return
    pred = nlu.predict(text)
    if not pred.emergency and pred.intent != "report":
        reply = {"greet": texts.GREET_REPLY, "thanks": texts.THANKS_REPLY, "help": texts.HELP}.get(
            pred.intent
        )
        if pred.intent == "status_query":
            await status.answer_latest(message, app)
        else:
            await message.answer(reply or texts.CHITCHAT_REPLY)
        return
    await begin(
        message,
        state,
        app,
        people,
        pred,
        text,
        Draft(first_transcript_id=transcript_id).heard(transcript_id),
        ask_threshold,
    )


@routes.message(StateFilter(None), PHOTO)
async def on_photo_first(
    message: Message,
    state: FSMContext,
    app: App,
    nlu: Classifier,
    people: People,
    ask_threshold: float,
    transcript_id: int | None = None,
) -> None:
    before = await Draft.load(state)
    if message.media_group_id and before.album_done == message.media_group_id:
        return  # the rest of an album already used (kept in the transcript)
    fid = photo_id(message)
    draft = Draft(photos=[fid] if fid else [], first_transcript_id=transcript_id,
                  album=message.media_group_id).heard(transcript_id)
    if message.caption and message.caption.strip():
        pred = nlu.predict(message.caption)
        await begin(message, state, app, people, pred, message.caption.strip(), draft, ask_threshold)
        return
    await state.set_state(Report.describe)
    await draft.save(state)
    await message.answer(texts.ASK_DESCRIBE)


@routes.message(StateFilter(None), F.location)
async def on_location_first(
    message: Message, state: FSMContext, app: App, transcript_id: int | None = None
) -> None:
    assert message.location is not None
    draft = Draft(first_transcript_id=transcript_id).heard(transcript_id)
    set_point(draft, app.registry, message.location.latitude, message.location.longitude)
    await state.set_state(Report.describe)
    await draft.save(state)
    await message.answer(texts.ASK_DESCRIBE)


@routes.message(Report.describe, F.text)
async def on_describe(
    message: Message,
    state: FSMContext,
    app: App,
    nlu: Classifier,
    people: People,
    ask_threshold: float,
    transcript_id: int | None = None,
) -> None:
    draft = (await Draft.load(state)).heard(transcript_id)
    text = (message.text or "").strip()
    await begin(message, state, app, people, nlu.predict(text), text, draft, ask_threshold)


@routes.message(Report.describe, PHOTO)
async def on_describe_photo(message: Message, state: FSMContext, transcript_id: int | None = None) -> None:
    draft = (await Draft.load(state)).heard(transcript_id)
    fid = photo_id(message)
    first = first_of_album(draft, message)
    if fid:
        add_photo(draft, fid)
    await draft.save(state)
    if first:
        await message.answer(texts.ASK_DESCRIBE_AGAIN)


# -- choosing a category ---------------------------------------------------------------------------------
@routes.callback_query(kb.CategoryCb.filter())
async def on_category(
    cb: CallbackQuery, callback_data: kb.CategoryCb, state: FSMContext, app: App, people: People
) -> None:
    draft = await Draft.load(state)
    current = await state.get_state()
    if draft.nonce != callback_data.draft or current not in (Report.category.state, Report.confirm.state):
        await cb.answer(texts.DRAFT_STALE, show_alert=True)
        return
    if not app.registry.taxonomy.has_category(callback_data.category):
        await cb.answer(texts.ALERT_STALE, show_alert=True)
        return
    draft.category = callback_data.category
    # 其他 after "I am not sure": a dispatcher decides where it goes (分类不确定).
    draft.triage = current == Report.category.state and callback_data.category == "other"
    await cb.answer()
    message = cb.message
    assert isinstance(message, Message)
    if current == Report.confirm.state:
        member = await people.get(cb.from_user.id)
        await draft.save(state)
        await edit_quietly(
            message,
            render.summary(draft, app.registry),
            kb.summary_keyboard(draft.nonce, bool(member and member.has(Role.GRID_WORKER))),
        )
        return
    name = render.esc(app.registry.category_name(callback_data.category))
    await edit_quietly(message, texts.CATEGORY_CHOSEN.format(category=name), None)
    await to_location(message, state, app, people, draft)


async def joined(
    message: Message,
    state: FSMContext,
    app: App,
    nlu: Classifier,
    people: People,
    ask_threshold: float,
    transcript_id: int | None,
) -> bool:
    """The rest of a long message a client split (sent right after the report's words): the
    words are joined, understood again and the question asked again about the whole."""
    draft = await Draft.load(state)
    if not continues(draft, message):
        return False
    text = f"{draft.text}\n{(message.text or '').strip()}"
    draft.heard(transcript_id)
    await begin(message, state, app, people, nlu.predict(text), text, draft, ask_threshold, joined=True)
    return True


@routes.message(Report.category)
async def on_category_text(
    message: Message,
    state: FSMContext,
    app: App,
    nlu: Classifier,
    people: People,
    ask_threshold: float,
    transcript_id: int | None = None,
) -> None:
    if await joined(message, state, app, nlu, people, ask_threshold, transcript_id):
        return
    await message.answer(texts.WAIT_BUTTON)


# -- location ------------------------------------------------------------------------------------------
@routes.message(Report.location, F.location)
async def on_location(
    message: Message, state: FSMContext, app: App, people: People, transcript_id: int | None = None
) -> None:
    assert message.location is not None
    draft = (await Draft.load(state)).heard(transcript_id)
    lat, lon = message.location.latitude, message.location.longitude
    if not valid_point(lat, lon):
        await message.answer(texts.ASK_LOCATION, reply_markup=kb.location_keyboard())
        return
    await to_photos(message, state, app, people, draft, note=set_point(draft, app.registry, lat, lon))


@routes.message(Report.location, F.text)
async def on_address(
    message: Message,
    state: FSMContext,
    app: App,
    nlu: Classifier,
    people: People,
    ask_threshold: float,
    transcript_id: int | None = None,
) -> None:
    if await joined(message, state, app, nlu, people, ask_threshold, transcript_id):
        return
    draft = (await Draft.load(state)).heard(transcript_id)
    text = (message.text or "").strip()
    if is_skip(text):
        await draft.save(state)
        await to_photos(message, state, app, people, draft)
        return
    which = ask_which(app.registry, text)
    if which is not None:
        await draft.save(state)
        await message.answer(which[0], reply_markup=which[1])
        return
    found = resolve_place(app.registry, text)
    if found is None:
        await draft.save(state)
        await message.answer(
            texts.LOCATION_NOT_FOUND.format(text=render.esc(render.clip(text, 40))),
            reply_markup=kb.location_keyboard(),
        )
        return
    is_button = text == texts.BTN_USE_PLACE.format(place=found.place)
    draft.address = found.place if is_button else render.clip(text, 100)
    draft.grid_id, draft.lat, draft.lon = found.grid_id, found.lat, found.lon
    note = texts.LOCATION_OK_PLACE.format(
        place=render.esc(draft.address), grid=render.esc(render.grid_name(app.registry, found.grid_id))
    )
    await to_photos(message, state, app, people, draft, note=note)


@routes.message(Report.location, PHOTO)
async def on_location_photo(message: Message, state: FSMContext, transcript_id: int | None = None) -> None:
    draft = (await Draft.load(state)).heard(transcript_id)
    add_caption(draft, message)
    first = first_of_album(draft, message)
    fid = photo_id(message)
    if fid:
        add_photo(draft, fid)
    await draft.save(state)
    if first:
        await message.answer(texts.ASK_LOCATION, reply_markup=kb.location_keyboard())


# -- photos ------------------------------------------------------------------------------------------------
@routes.message(Report.photos, PHOTO)
async def on_photo(
    message: Message, state: FSMContext, debouncer: Debouncer, transcript_id: int | None = None
) -> None:
    draft = (await Draft.load(state)).heard(transcript_id)
    add_caption(draft, message)
    fid = photo_id(message)
    kept = add_photo(draft, fid) if fid else True
    await draft.save(state)
    if not kept:
        await message.answer(texts.PHOTO_LIMIT.format(n=MAX_PHOTOS))
        return

    async def ack() -> None:  # once per album, with the final count
        if await state.get_state() == Report.photos.state:
            n = len((await Draft.load(state)).photos)
            await message.answer(texts.PHOTO_RECEIVED.format(n=n), reply_markup=kb.photos_keyboard())

    if message.media_group_id is None:
        await ack()
    else:
        debouncer.call_later((message.chat.id, message.media_group_id), ack)


@routes.message(Report.photos, F.text)
async def on_photos_text(
    message: Message,
    state: FSMContext,
    app: App,
    nlu: Classifier,
    people: People,
    ask_threshold: float,
    transcript_id: int | None = None,
) -> None:
    if await joined(message, state, app, nlu, people, ask_threshold, transcript_id):
        return
    draft = (await Draft.load(state)).heard(transcript_id)
    if is_done(message.text) or is_skip(message.text):
        await show_summary(message, state, app, people, draft)
        return
    await draft.save(state)
    await message.answer(texts.WAIT_PHOTO_OR_DONE, reply_markup=kb.photos_keyboard())


@routes.message(Report.photos, F.location)
async def on_photos_location(
    message: Message, state: FSMContext, app: App, transcript_id: int | None = None
) -> None:
    assert message.location is not None
    draft = (await Draft.load(state)).heard(transcript_id)
    reply = set_point(draft, app.registry, message.location.latitude, message.location.longitude)
    await draft.save(state)
    await message.answer(reply, reply_markup=kb.photos_keyboard())
