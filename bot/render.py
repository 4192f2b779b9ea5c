"""Text for every message the bot composes, from the current state of a case.

Pure functions: (case view, registry, time zone) → (HTML text, keyboard). Anything a person
typed is escaped; every text stays under Telegram's 4,096-character limit."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from aiogram.types import InlineKeyboardMarkup

import texts
from bot import keyboards as kb
from bot.report_draft import Draft
from dispatch.domain.case import Case
from dispatch.domain.status import CaseStatus
from dispatch.service.queries import CaseView
from dispatch.service.registry import Registry

DESCRIPTION_CHARS = 600  # in cards and summaries; the case keeps the full text
S = CaseStatus


def esc(value: object) -> str:
    return html.escape(str(value), quote=False)


def clip(value: str, limit: int = DESCRIPTION_CHARS) -> str:
    value = (value or "").strip()
    return value if len(value) <= limit else value[: limit - 1] + "…"


def when(dt: datetime | None, tz: tzinfo) -> str:
    if dt is None:
        return "—"
    local = dt.astimezone(tz)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def grid_name(registry: Registry, grid_id: str | None) -> str:
    if not grid_id or grid_id not in registry.tree:
        return texts.NO_GRID
    return registry.tree.by_id[grid_id].name


def place_of(case: Case) -> str:
    if case.address:
        return case.address
    if case.lat is not None and case.lon is not None:
        return f"{case.lat:.5f}, {case.lon:.5f}"
    return texts.NO_PLACE


def status_zh(case: Case) -> str:
    if case.status is S.RESOLVED and case.rating is not None:
        return f"{texts.STATUS_ZH['resolved']}（已评价）"
    return texts.STATUS_ZH.get(case.status.value, case.status.value)


def short_number(number: str) -> str:
    return number.rsplit("-", 1)[-1]


# -- the resident's draft ---------------------------------------------------------------------
def summary(draft: Draft, registry: Registry) -> str:
    place = draft.address or (
        f"{draft.lat:.5f}, {draft.lon:.5f}" if draft.lat is not None and draft.lon is not None
        else texts.NO_PLACE
    )
    return texts.SUMMARY.format(
        category=esc(registry.category_name(draft.category or "other")),
        emergency=texts.SUMMARY_EMERGENCY if draft.emergency else "",
        place=esc(place),
        grid=esc(grid_name(registry, draft.grid_id)),
        description=esc(clip(draft.text)),
        photos=len(draft.photos),
    )


def category_options(ranking: Sequence[str], registry: Registry) -> list[tuple[str, str]]:
    return [(c, registry.category_name(c)) for c in ranking if c != "other"][:3]


def all_categories(registry: Registry) -> list[tuple[str, str]]:
    return [(c.id, c.name_zh) for c in registry.taxonomy.categories if c.id != "other"]


# -- unit cards ----------------------------------------------------------------------------------
def unit_card(
    view: CaseView, registry: Registry, chat_id: int, tz: tzinfo, replaced: bool = False
) -> tuple[str, InlineKeyboardMarkup | None]:
    c = view.case
    unit = registry.units.get(c.unit_id or "")
    mine = unit is not None and unit.chat_id == chat_id
    flag = texts.CARD_FLAG_EMERGENCY if c.emergency else (texts.CARD_FLAG_REWORK if c.rework_count else "")
    extra = ""
    if c.status in (S.RETURNED, S.TRIAGE) and view.return_reason:
        extra = texts.CARD_RETURN_NOTE.format(reason=esc(clip(view.return_reason, 200)))
    elif c.status in (S.RESOLVED, S.VERIFIED, S.CLOSED) and view.resolve_note:
        extra = texts.CARD_RESOLVED_NOTE.format(note=esc(clip(view.resolve_note, 300)))
    elif c.rework_count and view.rework_reason:
        extra = texts.CARD_REWORK_NOTE.format(reason=esc(clip(view.rework_reason, 300)))
    if replaced:
        extra += texts.CARD_REPLACED
    elif not mine and c.status in (S.DISPATCHED, S.ACCEPTED):
        extra += texts.CARD_MOVED
    report_photos = [p for p in c.photos if p.kind == "report" and p.in_telegram]
    text = texts.CARD.format(
        flag=flag,
        number=c.number,
        category=esc(registry.category_name(c.category)),
        place=esc(place_of(c)),
        grid=esc(grid_name(registry, c.grid_id)),
        description=esc(clip(c.description)),
        photos=texts.CARD_PHOTOS.format(n=len(report_photos)) if report_photos else "",
        due=when(c.due_at, tz),
        status=status_zh(c),
        who=texts.CARD_WHO.format(name=esc(view.accepted_by_name))
        if view.accepted_by_name and c.status is S.ACCEPTED
        else "",
        extra=extra,
    )
    markup = None
    if mine and not replaced and c.status in (S.DISPATCHED, S.ACCEPTED) and c.id is not None:
        markup = kb.unit_card_keyboard(c.id, accepted=c.status is S.ACCEPTED)
    return text, markup


def verify_card(view: CaseView, registry: Registry) -> tuple[str, InlineKeyboardMarkup | None]:
    c = view.case
    text = texts.VERIFY_CARD.format(
        number=c.number,
        category=esc(registry.category_name(c.category)),
        place=esc(place_of(c)),
        grid=esc(grid_name(registry, c.grid_id)),
        description=esc(clip(c.description, 300)),
        unit=esc(registry.unit_name(c.unit_id)),
        note=esc(clip(view.resolve_note or "—", 300)),
        status=texts.STATUS_REWORK.format(status=status_zh(c))
        if c.rework_count and c.status in (S.DISPATCHED, S.ACCEPTED, S.REOPENED)
        else status_zh(c),
    )
    markup = kb.verify_keyboard(c.id) if c.status is S.RESOLVED and c.id is not None else None
    return text, markup


def triage_card(view: CaseView, registry: Registry) -> tuple[str, None]:
    """A dispatcher's card: a case waiting for a unit (待分拨), or an emergency as it came in;
    edited as the case moves on."""
    c = view.case
    reason = view.return_reason if c.return_count else view.latest_note
    waiting = c.status in (S.TRIAGE, S.RETURNED)
    if waiting:
        title = texts.TRIAGE_TITLE
    else:
        title = texts.TRIAGE_TITLE_EMERGENCY if c.emergency else texts.TRIAGE_TITLE_DONE
    return texts.TRIAGE_CARD.format(
        flag=texts.CARD_FLAG_EMERGENCY if c.emergency else "",
        title=title,
        number=c.number,
        category=esc(registry.category_name(c.category)),
        place=esc(place_of(c)),
        grid=esc(grid_name(registry, c.grid_id)),
        description=esc(clip(c.description, 300)),
        reason=esc(clip(reason or "—", 200)),
        status=status_zh(c),
        unit=texts.CASE_STATUS_UNIT.format(unit=esc(registry.unit_name(c.unit_id))) if c.unit_id else "",
    ), None


# -- the resident hears back ----------------------------------------------------------------------
def resident_notice(view: CaseView, action: str, registry: Registry, tz: tzinfo) -> str | None:
    c = view.case
    unit = esc(registry.unit_name(c.unit_id))
    match action:
        case "dispatched" | "reassigned":
            return texts.NOTICE_DISPATCHED.format(number=c.number, unit=unit, due=when(c.due_at, tz))
        case "accepted":
            return texts.NOTICE_ACCEPTED.format(number=c.number, unit=unit)
        case "resolved":
            return texts.NOTICE_RESOLVED.format(
                number=c.number, note=esc(clip(view.resolve_note or texts.RESOLVE_DEFAULT_NOTE, 500))
            )
        case "reopened":
            return texts.NOTICE_REOPENED.format(number=c.number, unit=unit)
        case "closed":
            return texts.NOTICE_CLOSED.format(number=c.number)
        case "cancelled":
            return texts.NOTICE_CANCELLED.format(number=c.number, reason=esc(clip(view.latest_note, 200)))
        case "linked_duplicate":
            return texts.NOTICE_DUPLICATE.format(number=c.number, other=esc(view.latest_note))
    return None


def reminder(view: CaseView, payload: Mapping[str, Any], registry: Registry, tz: tzinfo) -> str:
    c = view.case
    share = payload.get("share")
    pct = int(round(float(share) * 100)) if isinstance(share, int | float) else 100
    return texts.REMINDER.format(
        number=c.number, category=esc(registry.category_name(c.category)), pct=pct, due=when(c.due_at, tz)
    )


def escalation(view: CaseView, payload: Mapping[str, Any], registry: Registry, tz: tzinfo) -> str:
    c = view.case
    return texts.ESCALATION.format(
        number=c.number,
        category=esc(registry.category_name(c.category)),
        unit=esc(registry.unit_name(c.unit_id)),
        step=payload.get("step", 1),
        due=when(c.due_at, tz),
    )


def rate_ask(case: Case) -> str:
    return texts.RATE_ASK.format(number=case.number)


def rate_card(case: Case) -> tuple[str, InlineKeyboardMarkup | None]:
    """The rating request as the case stands: while a rating is awaited, the first question
    ("问题解决了吗") with the buttons of the current round; afterwards the rating, or (after a
    返工) that this round is over."""
    ask = rate_ask(case)
    if case.status in (S.RESOLVED, S.VERIFIED) and case.rating is None and case.id is not None:
        return f"{ask}\n{texts.RATE_ASK_SOLVED}", kb.solved_keyboard(case.id, case.rework_count)
    if case.rating is not None:
        return texts.RATE_DONE.format(text=ask, rating=texts.RATING_ZH.get(case.rating, case.rating)), None
    return texts.RATE_ROUND_OVER.format(text=ask), None


def rate_satisfaction(case: Case, solved: bool) -> tuple[str, InlineKeyboardMarkup | None]:
    """The second question, once the first is answered: how satisfied (the rating buttons
    carry the first answer)."""
    assert case.id is not None
    answered = texts.RATE_SOLVED_ANSWER.format(answer=texts.SOLVED_ZH[solved])
    text = f"{rate_ask(case)}\n{answered}\n{texts.RATE_ASK_SATISFACTION}"
    return text, kb.rating_keyboard(case.id, case.rework_count, solved)


def rate_answered(case: Case, solved: bool | None, rating: str, reason: str = "") -> str:
    """The request once answered: both answers (and the reason, if one was given)."""
    text = rate_ask(case)
    if solved is not None:
        text += "\n" + texts.RATE_SOLVED_ANSWER.format(answer=texts.SOLVED_ZH[solved])
    done = texts.RATE_DONE.format(text=text, rating=texts.RATING_ZH.get(rating, rating))
    return done + (texts.RATE_REASON_SHOWN.format(reason=esc(reason)) if reason else "")


# -- status ------------------------------------------------------------------------------------------
def case_status(view: CaseView, registry: Registry, tz: tzinfo) -> str:
    c = view.case
    return texts.CASE_STATUS.format(
        number=c.number,
        category=esc(registry.category_name(c.category)),
        place=esc(place_of(c)),
        status=status_zh(c),
        unit=texts.CASE_STATUS_UNIT.format(unit=esc(registry.unit_name(c.unit_id))) if c.unit_id else "",
        created=when(c.created_at, tz),
        due=texts.CASE_STATUS_DUE.format(due=when(c.due_at, tz))
        if c.due_at and c.status in (S.DISPATCHED, S.ACCEPTED)
        else "",
        latest=esc(clip(view.latest_note or status_zh(c), 200)),
    )


def my_cases(cases: Sequence[Case], registry: Registry, tz: tzinfo) -> str:
    if not cases:
        return texts.MY_CASES_EMPTY
    lines = [texts.MY_CASES_HEADER] + [
        texts.MY_CASES_LINE.format(
            number=c.number,
            category=esc(registry.category_name(c.category)),
            status=status_zh(c),
            when=when(c.created_at, tz),
        )
        for c in cases
    ]
    return "\n".join(lines)


def task_lines(cases: Sequence[Case], registry: Registry) -> list[str]:
    return [
        texts.TASKS_LINE.format(
            number=c.number,
            category=esc(registry.category_name(c.category)),
            place=esc(clip(place_of(c), 40)),
            status=status_zh(c),
        )
        for c in cases
    ]
