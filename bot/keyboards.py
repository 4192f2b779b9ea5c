"""Typed callback data (ids only, ≤ 64 bytes) and the keyboards that carry them.

A press is never trusted: the handler looks the case up and the service checks the person.
Ids are bounded to what the database holds (1 … 2⁶³−1): data that does not unpack — an id
out of range, a word where a number belongs — matches no handler, and the fallback router
answers it like any unknown press."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from pydantic import Field

import texts

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]  # a database id (BIGINT), or a draft nonce
RATING_CODES = {"s": "satisfied", "b": "basically_satisfied", "u": "unsatisfied"}


class DraftCb(CallbackData, prefix="d"):
    """The resident's summary card. `draft` is a per-draft nonce: an old card is stale."""

    action: str  # ok / cat / no / spot
    draft: Id


class CategoryCb(CallbackData, prefix="k"):
    draft: Id
    category: str  # a taxonomy id


class UnitCb(CallbackData, prefix="u"):
    action: str  # acc / ret / res
    case_id: Id


class ReturnCb(CallbackData, prefix="rr"):
    case_id: Id
    reason: str  # a key of texts.RETURN_REASONS


class RateCb(CallbackData, prefix="r"):
    """`round`: the case's rework count when the rating was asked for (see `rating_keyboard`)."""

    case_id: Id
    rating: str  # s / b / u
    round: Annotated[int, Field(ge=0, le=10_000)]


class SolvedCb(CallbackData, prefix="rs"):
    """The first question of a rating request: "问题解决了吗" (解决了 / 没解决)."""

    case_id: Id
    solved: bool
    round: Annotated[int, Field(ge=0, le=10_000)]


class RatingCb(CallbackData, prefix="rt"):
    """The second question: how satisfied, carrying the answer to the first."""

    case_id: Id
    rating: str  # s / b / u
    round: Annotated[int, Field(ge=0, le=10_000)]
    solved: bool


class VerifyCb(CallbackData, prefix="v"):
    case_id: Id
    ok: bool


def _inline(rows: Iterable[Sequence[tuple[str, CallbackData]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=t, callback_data=cb.pack()) for t, cb in row] for row in rows
        ]
    )


# -- residents -------------------------------------------------------------------------------
# The reply keyboards below depend on their arguments only, so each is built once and shared
# (a keyboard is a handful of pydantic models): they are never modified after building.
@lru_cache(maxsize=512)
def location_keyboard(place: str | None = None) -> ReplyKeyboardMarkup:
    rows = [[KeyboardButton(text=texts.BTN_SEND_LOCATION, request_location=True)]]
    if place:
        rows.append([KeyboardButton(text=texts.BTN_USE_PLACE.format(place=place))])
    rows.append([KeyboardButton(text=texts.BTN_SKIP)])
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, one_time_keyboard=True)


@lru_cache(maxsize=1)
def photos_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=texts.BTN_DONE), KeyboardButton(text=texts.BTN_SKIP)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


@lru_cache(maxsize=1)
def skip_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=texts.BTN_SKIP)]], resize_keyboard=True, one_time_keyboard=True
    )


def summary_keyboard(draft: int, grid_worker: bool) -> InlineKeyboardMarkup:
    rows: list[list[tuple[str, CallbackData]]] = [
        [(texts.BTN_SUBMIT, DraftCb(action="ok", draft=draft))],
    ]
    if grid_worker:
        rows.append([(texts.BTN_ON_SPOT, DraftCb(action="spot", draft=draft))])
    rows.append(
        [
            (texts.BTN_CHANGE_CATEGORY, DraftCb(action="cat", draft=draft)),
            (texts.BTN_CANCEL, DraftCb(action="no", draft=draft)),
        ]
    )
    return _inline(rows)


def category_keyboard(draft: int, options: Sequence[tuple[str, str]], other: bool) -> InlineKeyboardMarkup:
    """`options`: (category id, name). Two per row; 其他 last when asked for."""
    buttons = [(name, CategoryCb(draft=draft, category=cid)) for cid, name in options]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if other:
        rows.append([(texts.CATEGORY_OTHER, CategoryCb(draft=draft, category="other"))])
    return _inline(rows)


def solved_keyboard(case_id: int, rating_round: int) -> InlineKeyboardMarkup:
    """解决了 / 没解决, for one round: after a 返工 (a new round) an old message's buttons are
    refused as outdated."""
    return _inline(
        [
            [
                (texts.BTN_SOLVED[answer], SolvedCb(case_id=case_id, solved=answer, round=rating_round))
                for answer in (True, False)
            ]
        ]
    )


def rating_keyboard(case_id: int, rating_round: int, solved: bool) -> InlineKeyboardMarkup:
    """The satisfaction buttons of one round, carrying the answer to "问题解决了吗"."""
    return _inline(
        [
            [
                (
                    texts.BTN_RATE[name],
                    RatingCb(case_id=case_id, rating=code, round=rating_round, solved=solved),
                )
                for code, name in RATING_CODES.items()
            ]
        ]
    )


# -- units -----------------------------------------------------------------------------------
def unit_card_keyboard(case_id: int, accepted: bool) -> InlineKeyboardMarkup:
    first = (
        (texts.BTN_RESOLVE, UnitCb(action="res", case_id=case_id))
        if accepted
        else (texts.BTN_ACCEPT, UnitCb(action="acc", case_id=case_id))
    )
    return _inline([[first, (texts.BTN_RETURN, UnitCb(action="ret", case_id=case_id))]])


def return_reasons_keyboard(case_id: int) -> InlineKeyboardMarkup:
    items = [(text, ReturnCb(case_id=case_id, reason=code)) for code, text in texts.RETURN_REASONS.items()]
    return _inline([items[i : i + 2] for i in range(0, len(items), 2)])


# -- grid workers ------------------------------------------------------------------------------
def verify_keyboard(case_id: int) -> InlineKeyboardMarkup:
    return _inline(
        [
            [
                (texts.BTN_VERIFY_OK, VerifyCb(case_id=case_id, ok=True)),
                (texts.BTN_VERIFY_FAIL, VerifyCb(case_id=case_id, ok=False)),
            ]
        ]
    )


def tasks_keyboard(cases: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup | None:
    """(case id, short number) → a row of 核查通过 / 未解决 per case."""
    if not cases:
        return None
    return _inline(
        [
            [
                (f"✅ {short}", VerifyCb(case_id=cid, ok=True)),
                (f"❌ {short}", VerifyCb(case_id=cid, ok=False)),
            ]
            for cid, short in cases
        ]
    )
