"""A report in progress (the draft in FSM data) and the steps between the questions.

The data beside the state: `d` (a nonce: an old card is stale), `text`, `cat` (chosen) and
`pred` (what the NLU said), `conf`, `emg`, `rank` (top 3), `lat`/`lon`/`addr`/`grid`,
`photos` (file ids), `msgs` (transcript ids of what the person sent), `first` (the first
of them: the bot's replies from there on are linked to the case too), `card` (the summary
card's message id)."""

from __future__ import annotations

import math
import secrets
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReplyKeyboardRemove

import texts
from bot import keyboards as kb
from bot import render
from bot.deps import People
from bot.routers.common import MAX_PHOTOS, log
from bot.states import Report
from dispatch.domain.members import Member, Role
from dispatch.service.app import App
from dispatch.service.cases import ReportDraft
from dispatch.service.locate import locate
from dispatch.service.registry import Registry

NEAR_METRES = 600
MIN_PLACE_LEVEL = 3  # a typed address must at least name a community (社区/村)


# -- helpers ---------------------------------------------------------------------------------------
def with_msg(data: dict[str, Any], transcript_id: int | None) -> list[int]:
    """The draft's transcript ids plus this message's."""
    ids = list(data.get("msgs") or [])
    if transcript_id is not None:
        ids.append(transcript_id)
    return ids


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


def set_point(data: dict[str, Any], registry: Registry, lat: float, lon: float) -> str:
    loc = locate(registry, "", lat, lon)
    data.update(lat=lat, lon=lon, grid=loc.grid_id)
    near = nearest_place(registry, loc.grid_id, lat, lon)
    data["addr"] = near
    if loc.grid_id is None:
        return texts.LOCATION_OUTSIDE
    return texts.LOCATION_OK_POINT.format(place=render.esc(near or render.grid_name(registry, loc.grid_id)))


def add_photo(data: dict[str, Any], file_id: str) -> bool:
    photos = list(data.get("photos") or [])
    if len(photos) >= MAX_PHOTOS:
        return False
    photos.append(file_id)
    data["photos"] = photos
    return True


def first_of_album(data: dict[str, Any], message: Message) -> bool:
    """True for a single photo, or the first photo of an album we have not acknowledged."""
    if message.media_group_id is None:
        return True
    if data.get("album") == message.media_group_id:
        return False
    data["album"] = message.media_group_id
    return True


async def begin(
    message: Message,
    state: FSMContext,
    app: App,
    people: People,
    pred: Any,
    text: str,
    seed: dict[str, Any],
    ask_threshold: float,
) -> None:
    """A new draft from the words of a report."""
    category = pred.category or "other"
    if not app.registry.taxonomy.has_category(category):
        category = "other"
    ranking = [c for c, _ in (pred.ranking or [])]
    data = {
        **seed,
        "d": secrets.randbelow(2**31 - 1) + 1,
        "text": text,
        "cat": category,
        "pred": category,
        "conf": float(pred.confidence),
        "emg": bool(pred.emergency),
        "rank": ranking,
    }
    data.setdefault("photos", [])
    if pred.emergency:
        await message.answer(texts.EMERGENCY_NOW)
    if not pred.emergency and pred.confidence < ask_threshold:
        options = render.category_options(ranking or [category], app.registry)
        await state.set_state(Report.category)
        await state.set_data(data)
        await message.answer(
            texts.ASK_CATEGORY, reply_markup=kb.category_keyboard(data["d"], options, other=True)
        )
        return
    await to_location(message, state, app, people, data)


async def to_location(
    message: Message, state: FSMContext, app: App, people: People, data: dict[str, Any]
) -> None:
    if data.get("lat") is not None or data.get("addr"):
        await to_photos(message, state, app, people, data)
        return
    found = resolve_place(app.registry, data.get("text") or "")
    await state.set_state(Report.location)
    await state.set_data(data)
    if found is not None:
        button = texts.BTN_USE_PLACE.format(place=found.place)
        await message.answer(
            texts.ASK_LOCATION_GUESS.format(place=render.esc(found.place), button=render.esc(button)),
            reply_markup=kb.location_keyboard(found.place),
        )
    else:
        await message.answer(texts.ASK_LOCATION, reply_markup=kb.location_keyboard())


async def to_photos(
    message: Message,
    state: FSMContext,
    app: App,
    people: People,
    data: dict[str, Any],
    note: str | None = None,
) -> None:
    """Ask for photos (unless we have some, or it is an emergency); `note` acknowledges the
    place in the same message."""
    if data.get("photos") or data.get("emg"):
        if note:
            await message.answer(note, reply_markup=ReplyKeyboardRemove())
        await show_summary(message, state, app, people, data)
        return
    await state.set_state(Report.photos)
    await state.set_data(data)
    text = f"{note}\n{texts.ASK_PHOTOS}" if note else texts.ASK_PHOTOS
    await message.answer(text, reply_markup=kb.photos_keyboard())


async def show_summary(
    message: Message,
    state: FSMContext,
    app: App,
    people: People,
    data: dict[str, Any],
) -> None:
    """The summary card, with [现场已处置] for grid workers."""
    member = await people.get(message.chat.id)
    markup = kb.summary_keyboard(data["d"], grid_worker=bool(member and member.has(Role.GRID_WORKER)))
    await state.set_state(Report.confirm)
    sent = await message.answer(render.summary(data, app.registry), reply_markup=markup)
    data["card"] = sent.message_id
    await state.set_data(data)


async def edit_quietly(message: Message, text: str, markup: Any) -> None:
    try:
        await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:  # not modified, or the message is gone
        log.debug("edit skipped: %s", exc)


def make_draft(data: dict[str, Any], reporter: Member, **extra: Any) -> ReportDraft:
    assert reporter.id is not None
    return ReportDraft(
        text=data.get("text") or "",
        reporter_id=reporter.id,
        category=data.get("cat") or "other",
        confidence=data.get("conf"),
        emergency=bool(data.get("emg")),
        lat=data.get("lat"),
        lon=data.get("lon"),
        address=data.get("addr"),
        photos=list(data.get("photos") or []),
        message_ids=[i for i in data.get("msgs") or [] if i],
        predicted_category=data.get("pred"),
        triage=bool(data.get("triage")),
        **extra,
    )
