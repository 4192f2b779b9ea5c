"""Who hears about a case event. Writes outbox rows in the caller's transaction.

Payloads carry ids only; the bot renders the current state of the case when it
delivers (so a late delivery never shows stale text)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from dispatch.db.uow import UnitOfWork
from dispatch.domain.case import Action, Case, CaseEvent
from dispatch.domain.members import Role, grids_cover
from dispatch.service.registry import Registry


class Notice(StrEnum):
    """The kinds of outbox rows (`outbox.kind`). Each has one deliverer in the bot's relay
    (`bot/delivery/`); a kind without one is a test failure, not a silent drop."""

    UNIT_CARD = "unit_card"  # a new case card in the unit's group
    CARD_UPDATE = "card_update"  # the card edited to the case's current state
    RESIDENT_NOTICE = "resident_notice"  # the reporter (and followers) told of progress
    RATE_REQUEST = "rate_request"  # the reporter asked to rate
    VERIFY_TASK = "verify_task"  # the grid workers asked to verify (核查)
    TRIAGE_NOTICE = "triage_notice"  # the dispatchers told a case needs them
    REMINDER = "reminder"  # the unit reminded of a deadline (the scheduler)
    ESCALATION = "escalation"  # 督办: a case overdue, escalated (the scheduler)
    GROUP_NOTICE = "group_notice"  # a unit's group told of a requested or decided move (no case)
    PATROL_FENCE = "patrol_fence"  # 电子围栏: a grid leader told a worker left / went silent, or is back
    PATROL_ENDED = "patrol_ended"  # the worker told the scheduler ended their patrol, with its summary
    PATROL_DIGEST = "patrol_digest"  # 日督导: a grid leader's morning message of yesterday's patrols
    BULLETIN = "bulletin"  # 通报: the period's report to the leaders' group (no case; the scheduler)


# Events the reporter is told about.
RESIDENT_ACTIONS = frozenset({
    Action.DISPATCHED, Action.ACCEPTED, Action.RESOLVED, Action.REOPENED, Action.CLOSED,
    Action.CANCELLED, Action.LINKED_DUPLICATE,
})
# Events that change what a unit's card shows.
CARD_ACTIONS = frozenset({
    Action.ACCEPTED, Action.RETURNED, Action.RESOLVED, Action.REOPENED, Action.CLOSED,
    Action.CANCELLED, Action.EXTENDED, Action.REASSIGNED, Action.RECATEGORISED, Action.VERIFIED,
    Action.DUPLICATE_REPORTED, Action.AMENDED,
})


async def grid_workers_for(uow: UnitOfWork, registry: Registry, grid_id: str | None) -> list[int]:
    if grid_id is None:
        return []
    tree = registry.tree
    return [
        tg
        for tg, grids in await uow.members.active_with_role(Role.GRID_WORKER.value)
        if grids_cover(tree, grids, grid_id)
    ]


async def dispatchers(uow: UnitOfWork) -> list[int]:
    return [tg for tg, _ in await uow.members.active_with_role(Role.DISPATCHER.value)]


async def plan(
    uow: UnitOfWork,
    registry: Registry,
    case: Case,
    event: CaseEvent,
    now: datetime,
    reporter_tg: int | None,
    *,
    new_case: bool = False,
) -> None:
    """Queue every notification `event` causes. `new_case`: the case was created in this
    transaction, so nobody follows it yet (no need to look)."""
    assert case.id is not None
    add = uow.outbox.add
    base = {"case_id": case.id, "action": event.action}

    if event.action in (Action.DISPATCHED, Action.REASSIGNED) and case.unit_id:
        unit = registry.units.get(case.unit_id)
        if unit is not None and unit.chat_id is not None:
            add(chat_id=unit.chat_id, kind=Notice.UNIT_CARD, payload=base, now=now, case_id=case.id)
    merged = event.action == Action.LINKED_DUPLICATE and not new_case  # a unit may hold its card
    if event.action in CARD_ACTIONS or merged:
        add(chat_id=0, kind=Notice.CARD_UPDATE, payload=base, now=now, case_id=case.id)
    if reporter_tg is not None and event.action in RESIDENT_ACTIONS:
        add(chat_id=reporter_tg, kind=Notice.RESIDENT_NOTICE, payload=base, now=now, case_id=case.id)
    if event.action in RESIDENT_ACTIONS and event.action != Action.LINKED_DUPLICATE and not new_case:
        # people whose duplicate reports were linked to this case follow its progress
        for tg in await uow.cases.follower_tg_ids(case.id):
            if tg != reporter_tg:
                add(
                    chat_id=tg,
                    kind=Notice.RESIDENT_NOTICE,
                    payload={**base, "follower": True},
                    now=now,
                    case_id=case.id,
                )
    if event.action in (Action.RESOLVED,) and reporter_tg is not None:
        add(chat_id=reporter_tg, kind=Notice.RATE_REQUEST, payload=base, now=now, case_id=case.id)
    if event.action == "resolved":
        for tg in await grid_workers_for(uow, registry, case.grid_id):
            add(chat_id=tg, kind=Notice.VERIFY_TASK, payload=base, now=now, case_id=case.id)
    # Dispatchers hear of a case entering triage (待分拨), whatever brought it there, and of an
    # emergency as it comes in. A unit's return is two events (`returned`, then `triaged`):
    # the second is the one notice.
    emergency_report = event.action == Action.REPORTED and case.emergency
    if event.action == Action.TRIAGED or emergency_report:
        if registry.dispatch_chat_id is not None:  # the dispatchers' group
            add(
                chat_id=registry.dispatch_chat_id,
                kind=Notice.TRIAGE_NOTICE,
                payload=base,
                now=now,
                case_id=case.id,
            )
        else:  # each dispatcher privately
            for tg in await dispatchers(uow):
                add(chat_id=tg, kind=Notice.TRIAGE_NOTICE, payload=base, now=now, case_id=case.id)
