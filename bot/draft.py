"""The steps between the questions of a report in progress (the `Draft` of
`bot/report_draft.py`, kept in the conversation state)."""

from __future__ import annotations

import math
import re
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReplyKeyboardRemove

import texts
from bot import keyboards as kb
from bot import render
from bot.deps import People
from bot.report_draft import Draft
from bot.routers.common import MAX_PHOTOS, is_cancel, is_done, is_skip, log
from bot.states import Report
from dispatch.domain.members import Member, Role
from dispatch.service.app import App
from dispatch.service.cases import ReportDraft
from dispatch.service.locate import locate
from dispatch.service.registry import Registry

NEAR_METRES = 600
# Telegram clients split a text over 4,096 characters into several messages sent at once:
# a text this soon after a long part of the report's words is their continuation, not an
# answer to the question asked meanwhile.
JOIN_SECONDS = 2
LONG_PART = 3000  # characters: a part this long may have been cut by the client
MIN_PLACE_LEVEL = 3  # a typed address must at least name a community (社区/村)


# -- helpers ---------------------------------------------------------------------------------------
def nearest_place(registry: Registry, grid_id: str | None, lat: float, lon: float) -> str | None:
    """`<landmark>附近` for a shared point, when a landmark of its grid is close."""
    grid = registry.tree.by_id.get(grid_id or "")
    if grid is None:
        return None
    best, best_d = None, float("inf")
    for p in grid.places:
        if p.lat is None or p.lon is None:
            continue
        dy = (p.lat - lat) * 111_000
        dx = (p.lon - lon) * 111_000 * math.cos(math.radians(lat))
        d = math.hypot(dx, dy)
        if d < best_d:
            best, best_d = p.name, d
    return f"{best}附近" if best is not None and best_d <= NEAR_METRES else None


def resolve_place(registry: Registry, text: str) -> Any:
    """A place in typed text, if it pins down at least a community."""
    found = registry.gazetteer.resolve(text)
    if found is None:
        return None
    grid = registry.tree.by_id.get(found.grid_id)
    return found if grid is not None and grid.level >= MIN_PLACE_LEVEL else None


MAX_MEANINGS = 6


def ask_which(registry: Registry, text: str) -> tuple[str, Any] | None:
    """When the text's place name means more than one place ("夜市"): the question which one,
    with a button for each."""
    options = registry.gazetteer.meanings(text)[:MAX_MEANINGS]
    found = registry.gazetteer.resolve(text)
    if not options or found is None:
        return None
    question = texts.ASK_LOCATION_WHICH.format(
        name=render.esc(found.place), options="、".join(render.esc(o) for o in options)
    )
    return question, kb.location_keyboard(*options)


def set_point(draft: Draft, registry: Registry, lat: float, lon: float) -> str:
    loc = locate(registry, "", lat, lon)
    draft.lat, draft.lon, draft.grid_id = lat, lon, loc.grid_id
    near = nearest_place(registry, loc.grid_id, lat, lon)
    draft.address = near
    if loc.grid_id is None:
        return texts.LOCATION_OUTSIDE
    return texts.LOCATION_OK_POINT.format(place=render.esc(near or render.grid_name(registry, loc.grid_id)))


def add_photo(draft: Draft, file_id: str) -> bool:
    if len(draft.photos) >= MAX_PHOTOS:
        return False
    draft.photos.append(file_id)
    return True


def add_caption(draft: Draft, message: Message) -> None:
    """A photo's caption during the report adds to its description."""
    caption = (message.caption or "").strip()
    if caption:
        draft.text = f"{draft.text}\n{caption}" if draft.text else caption


def first_of_album(draft: Draft, message: Message) -> bool:
    """True for a single photo, or the first photo of an album we have not acknowledged."""
    if message.media_group_id is None:
        return True
    if draft.album == message.media_group_id:
        return False
    draft.album = message.media_group_id
    return True


def continues(draft: Draft, message: Message) -> bool:
    """`message` is more of the report's words: a text (not a command or a button's word)
    sent within JOIN_SECONDS of a long part of them (LONG_PART) — nobody reads the question
    asked since and answers it that fast."""
    text = (message.text or "").strip()
    if draft.text_at is None or draft.part_len < LONG_PART or not text or text.startswith("/"):
        return False
    if is_skip(text) or is_done(text) or is_cancel(text) or _PLACE_BUTTON.fullmatch(text):
        return False
    return message.date.timestamp() - draft.text_at <= JOIN_SECONDS


_PLACE_BUTTON = re.compile(re.escape(texts.BTN_USE_PLACE).replace(re.escape("{place}"), ".+"))


def _asked(draft: Draft, sent: Message) -> None:
    draft.prompt_id = sent.message_id


async def _drop_prompt(message: Message, draft: Draft) -> None:
    """The question asked after the first part of a split message goes: it is asked again
    about the whole."""
    if draft.prompt_id is None or message.bot is None:
        return
    try:
        await message.bot.delete_message(message.chat.id, draft.prompt_id)
    except TelegramBadRequest as exc:
        log.debug("earlier question not deleted: %s", exc)
    draft.prompt_id = None


async def begin(
    message: Message,
    state: FSMContext,
    app: App,
    people: People,
    pred: Any,
    text: str,
    draft: Draft,
    ask_threshold: float,
    joined: bool = False,
) -> None:
    """The draft takes the words of a report (and what the NLU made of them). `joined`:
    they are the words so far plus their continuation (a split message)."""
    was_emergency = joined and draft.emergency
    if joined:
        await _drop_prompt(message, draft)
    draft.text_at = int(message.date.timestamp())
    draft.part_len = len(message.text or message.caption or "")
    category = pred.category or "other"
    if not app.registry.taxonomy.has_category(category):
        category = "other"
    ranking = [c for c, _ in (pred.ranking or [])]
    draft.new_nonce()
    draft.text, draft.category, draft.predicted = text, category, category
    draft.confidence, draft.emergency, draft.ranking = float(pred.confidence), bool(pred.emergency), ranking
    if pred.emergency and not was_emergency:
        await message.answer(texts.EMERGENCY_NOW)
    if not pred.emergency and pred.confidence < ask_threshold:
        options = render.category_options(ranking or [category], app.registry)
        await state.set_state(Report.category)
        await draft.save(state)
        _asked(draft, await message.answer(
            texts.ASK_CATEGORY, reply_markup=kb.category_keyboard(draft.nonce, options, other=True)
        ))
        await draft.save(state)
        return
    await to_location(message, state, app, people, draft)


async def to_location(message: Message, state: FSMContext, app: App, people: People, draft: Draft) -> None:
    if draft.located:
        await to_photos(message, state, app, people, draft)
        return
    found = resolve_place(app.registry, draft.text)
    await state.set_state(Report.location)
    await draft.save(state)
    which = ask_which(app.registry, draft.text)
    if which is not None:
        sent = await message.answer(which[0], reply_markup=which[1])
    elif found is not None:
        button = texts.BTN_USE_PLACE.format(place=found.place)
        sent = await message.answer(
            texts.ASK_LOCATION_GUESS.format(place=render.esc(found.place), button=render.esc(button)),
            reply_markup=kb.location_keyboard(found.place),
        )
    else:
        sent = await message.answer(texts.ASK_LOCATION, reply_markup=kb.location_keyboard())
    _asked(draft, sent)
    await draft.save(state)


async def to_photos(
    message: Message,
    state: FSMContext,
    app: App,
    people: People,
    draft: Draft,
    note: str | None = None,
) -> None:
    """Ask for photos (unless we have some, or it is an emergency); `note` acknowledges the
    place in the same message."""
    if draft.photos or draft.emergency or draft.editing:
        draft.editing = False
        if note:
            await message.answer(note, reply_markup=ReplyKeyboardRemove())
        await show_summary(message, state, app, people, draft)
        return
    await state.set_state(Report.photos)
    await draft.save(state)
    text = f"{note}\n{texts.ASK_PHOTOS}" if note else texts.ASK_PHOTOS
    _asked(draft, await message.answer(text, reply_markup=kb.photos_keyboard()))
    await draft.save(state)


async def show_summary(
    message: Message,
    state: FSMContext,
    app: App,
    people: People,
    draft: Draft,
) -> None:
    """The summary card, with [现场已处置] for grid workers; before it, open cases of the same
    kind nearby, which the person may follow instead (not for an emergency)."""
    member = await people.get(message.chat.id)
    if not draft.emergency:
        others = await app.service.open_nearby(draft.category, draft.lat, draft.lon, draft.grid_id)
        if others:
            await message.answer(
                render.nearby(others, app.registry, app.settings.tz),
                reply_markup=kb.follow_keyboard(
                    draft.nonce, [(c.id, render.short_number(c.number)) for c in others if c.id]
                ),
            )
    markup = kb.summary_keyboard(draft.nonce, grid_worker=bool(member and member.has(Role.GRID_WORKER)))
    await state.set_state(Report.confirm)
    sent = await message.answer(render.summary(draft, app.registry), reply_markup=markup)
    draft.card_id = sent.message_id
    await draft.save(state)


async def edit_quietly(message: Message, text: str, markup: Any) -> None:
    try:
        await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:  # not modified, or the message is gone
        log.debug("edit skipped: %s", exc)


def make_draft(draft: Draft, reporter: Member, **extra: Any) -> ReportDraft:
    """The service's command input from the conversation's draft."""
    assert reporter.id is not None
    return ReportDraft(
        text=draft.text,
        reporter_id=reporter.id,
        category=draft.category or "other",
        confidence=draft.confidence,
        emergency=draft.emergency,
        lat=draft.lat,
        lon=draft.lon,
        address=draft.address,
        photos=list(draft.photos),
        message_ids=[i for i in draft.transcript_ids if i],
        predicted_category=draft.predicted,
        triage=draft.triage,
        **extra,
    )
