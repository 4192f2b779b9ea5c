"""The case's transcript as conversations: one per person or group involved (the resident(s),
the unit's group, the grid worker, dispatchers), each in time order, with the buttons each bot
message carried and the label of the button a person pressed, and who received what.

What belongs to a case: the messages stored with it (the report's conversation, the bot's
messages about the case, presses on a case's buttons), the presses on a message about it, and
what someone typed or sent in the minutes after pressing one of its buttons (a return reason,
a result photo, a 核查 note) before pressing anything else."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select

import texts
from dispatch.db.orm import MemberRow, MessageRow
from dispatch.db.uow import UnitOfWork
from dispatch.domain.case import Case
from dispatch.service.registry import Registry

FOLLOW_UP = timedelta(minutes=15)  # what a person sends this long after a press answers it
MAX_FOLLOW_UPS = 500
ORDER = {"reporter": 0, "resident": 1, "unit": 2, "grid_worker": 3, "dispatcher": 4, "other": 5}
_RATINGS = {"s": "satisfied", "b": "basically_satisfied", "u": "unsatisfied"}


@dataclass
class Line:
    msg: MessageRow
    sender: str = ""  # who wrote it (in a group: the member); "" for the bot
    pressed: str | None = None  # a press: the label of the button
    buttons: list[list[str]] = field(default_factory=list)  # the labels a bot message carried


@dataclass
class Conversation:
    chat_id: int
    kind: str  # reporter / resident / unit / grid_worker / dispatcher / other
    title: str
    lines: list[Line] = field(default_factory=list)


def _buttons(payload: dict[str, Any] | None) -> list[list[list[str]]]:
    rows = (payload or {}).get("buttons")
    if not isinstance(rows, list):
        return []
    return [[b for b in row if isinstance(b, list) and len(b) == 2] for row in rows if isinstance(row, list)]


def fallback_label(data: str, registry: Registry) -> str:
    """The label of a known button from its data alone (a message stored without its buttons)."""
    parts = data.split(":")
    head, rest = parts[0], parts[1:]
    known: dict[tuple[str, str], str] = {
        ("d", "ok"): texts.BTN_SUBMIT, ("d", "cat"): texts.BTN_CHANGE_CATEGORY,
        ("d", "no"): texts.BTN_CANCEL, ("d", "spot"): texts.BTN_ON_SPOT,
        ("u", "acc"): texts.BTN_ACCEPT, ("u", "ret"): texts.BTN_RETURN, ("u", "res"): texts.BTN_RESOLVE,
    }
    if rest and (head, rest[0]) in known:
        return known[(head, rest[0])]
    if head in ("r", "rt") and len(rest) >= 2 and rest[1] in _RATINGS:
        return texts.BTN_RATE.get(_RATINGS[rest[1]], data)
    if head == "rs" and len(rest) >= 2:
        return texts.BTN_SOLVED[rest[1] in ("1", "True", "true")]
    if head == "v" and len(rest) >= 2:
        return texts.BTN_VERIFY_OK if rest[1] in ("1", "True", "true") else texts.BTN_VERIFY_FAIL
    if head == "rr" and len(rest) >= 2:
        return texts.RETURN_REASONS.get(rest[1], texts.ADMIN["msg_button_unknown"])
    if head == "k" and len(rest) >= 2:
        return registry.category_name(rest[1])
    return texts.ADMIN["msg_button_unknown"]


async def _follow_ups(uow: UnitOfWork, case_id: int, messages: list[MessageRow]) -> list[MessageRow]:
    """What people sent right after pressing one of the case's buttons, or in their private chat
    right after the bot asked them something about the case (not stored with it)."""
    anchors = [m for m in messages if (m.kind == "callback" and m.user_id is not None)
               or (m.direction == "out" and m.chat_id > 0)]
    if not anchors:
        return []
    pairs = {(m.chat_id, m.user_id if m.direction == "in" else m.chat_id) for m in anchors}
    start, end = min(m.at for m in anchors), max(m.at for m in anchors) + FOLLOW_UP
    rows = (await uow.session.scalars(
        select(MessageRow).where(
            MessageRow.at >= start, MessageRow.at <= end,
            or_(*(and_(MessageRow.chat_id == c, or_(MessageRow.user_id == u, MessageRow.direction == "out"))
                  for c, u in pairs)),
            or_(MessageRow.case_id.is_(None), MessageRow.case_id != case_id))
        .order_by(MessageRow.at, MessageRow.id).limit(MAX_FOLLOW_UPS))).all()
    out: list[MessageRow] = []
    last: dict[tuple[int, int | None], MessageRow | None] = {}
    for m in sorted({x.id: x for x in [*anchors, *rows]}.values(), key=lambda x: (x.at, x.id)):
        ours = m.case_id == case_id
        if m.direction == "out":  # the bot's message in a private chat: ours, another case's, or
            if m.chat_id > 0 and m.case_id is not None:  # a step of the same exchange (unlinked)
                last[(m.chat_id, m.chat_id)] = m if ours else None
            continue
        key = (m.chat_id, m.user_id)
        if m.kind == "callback":  # any press ends the answer to the one before
            last[key] = m if ours else None
            continue
        anchor = last.get(key)
        if not ours and m.case_id is None and anchor is not None and m.at - anchor.at <= FOLLOW_UP:
            out.append(m)
    return out


async def conversations(uow: UnitOfWork, registry: Registry, case: Case,
                        messages: list[MessageRow]) -> list[Conversation]:
    """The case's messages (and what answers its buttons) grouped by chat, people first."""
    assert case.id is not None
    async with uow:
        presses = [m for m in messages if m.kind == "callback"]
        extra = await _follow_ups(uow, case.id, messages)
        wanted = {(p.chat_id, int((p.payload or {}).get("message_id") or 0)) for p in presses}
        have = {(m.chat_id, m.tg_message_id) for m in messages}
        missing = [(c, mid) for c, mid in wanted if mid and (c, mid) not in have]
        pressed_on: list[MessageRow] = []
        if missing:
            pressed_on = list((await uow.session.scalars(select(MessageRow).where(
                MessageRow.direction == "out",
                or_(*(and_(MessageRow.chat_id == c, MessageRow.tg_message_id == mid) for c, mid in missing)),
            ))).all())
        every = sorted({m.id: m for m in [*messages, *extra]}.values(), key=lambda m: (m.at, m.id))
        tg_ids = {m.user_id for m in every if m.user_id is not None} | {m.chat_id for m in every}
        people = {r.tg_id: r for r in (await uow.session.scalars(
            select(MemberRow).where(MemberRow.tg_id.in_(tg_ids)))).all()} if tg_ids else {}
    by_message = {(m.chat_id, m.tg_message_id): _buttons(m.payload) for m in [*messages, *pressed_on]}
    chats: dict[int, Conversation] = {}
    for m in every:
        conv = chats.get(m.chat_id)
        if conv is None:
            conv = chats[m.chat_id] = _conversation(m.chat_id, registry, case, people)
        line = Line(m, _sender(m, people) if m.direction == "in" else "")
        if m.kind == "callback":
            line.pressed = _label(m, by_message, registry)
        elif m.direction == "out":
            line.buttons = [[label for label, _ in row] for row in _buttons(m.payload)]
        conv.lines.append(line)
    return sorted(chats.values(), key=lambda c: (ORDER.get(c.kind, 9), c.lines[0].msg.at))


def _label(press: MessageRow, by_message: dict[Any, list[list[list[str]]]], registry: Registry) -> str:
    data = press.text or ""
    message_id = (press.payload or {}).get("message_id")
    for row in by_message.get((press.chat_id, message_id), []):
        for label, cb in row:
            if cb == data:
                return str(label)
    return fallback_label(data, registry)


def _sender(m: MessageRow, people: dict[int | None, MemberRow]) -> str:
    member = people.get(m.user_id)
    return member.name if member is not None else texts.ADMIN["msg_someone"].format(id=m.user_id or "")


def _conversation(chat_id: int, registry: Registry, case: Case,
                  people: dict[int | None, MemberRow]) -> Conversation:
    T = texts.ADMIN
    unit = next((u for u in registry.units.values() if u.chat_id == chat_id), None)
    if unit is not None:
        return Conversation(chat_id, "unit", T["conv_unit"].format(unit=unit.name))
    if registry.dispatch_chat_id is not None and chat_id == registry.dispatch_chat_id:
        return Conversation(chat_id, "dispatcher", T["conv_dispatch_group"])
    member = people.get(chat_id)
    if member is None:
        return Conversation(chat_id, "other", T["conv_other"].format(id=chat_id))
    roles = set(member.roles or [])
    if member.id == case.reporter_id:
        kind = "reporter"
    elif "grid_worker" in roles or "grid_leader" in roles:
        kind = "grid_worker"
    elif "dispatcher" in roles or "admin" in roles:
        kind = "dispatcher"
    elif "unit_member" in roles:
        kind = "unit"
    else:
        kind = "resident"
    role = texts.ROLE_ZH.get(_main_role(roles, kind), "")
    title = T["conv_reporter" if kind == "reporter" else "conv_person"].format(role=role, name=member.name)
    return Conversation(chat_id, kind, title)


def _main_role(roles: Iterable[str], kind: str) -> str:
    wanted = {"reporter": "resident", "resident": "resident", "grid_worker": "grid_worker",
              "dispatcher": "dispatcher", "unit": "unit_member"}[kind]
    roles = set(roles)
    if kind == "reporter" and "grid_worker" in roles:
        return "grid_worker"
    return wanted if wanted in roles or kind != "dispatcher" else "admin"
