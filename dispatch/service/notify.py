"""Who hears about a case event. Writes outbox rows in the caller's transaction.

Payloads carry ids only; the bot renders the current state of the case when it
delivers (so a late delivery never shows stale text)."""

from __future__ import annotations

from datetime import datetime

from dispatch.db.uow import UnitOfWork
from dispatch.domain.case import Case, CaseEvent
from dispatch.domain.members import Role, grids_cover
from dispatch.service.registry import Registry

# Events the reporter is told about.
RESIDENT_ACTIONS = frozenset(
    {"dispatched", "accepted", "resolved", "reopened", "closed", "cancelled", "linked_duplicate"}
)
# Events that change what a unit's card shows.
CARD_ACTIONS = frozenset(
    {
        "accepted",
        "returned",
        "resolved",
        "reopened",
        "closed",
        "cancelled",
        "extended",
        "reassigned",
        "recategorised",
        "verified",
        "duplicate_reported",
    }
)


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

    if event.action in ("dispatched", "reassigned") and case.unit_id:
        unit = registry.units.get(case.unit_id)
        if unit is not None and unit.chat_id is not None:
            add(chat_id=unit.chat_id, kind="unit_card", payload=base, now=now, case_id=case.id)
    if event.action in CARD_ACTIONS or event.action == "reassigned":
        add(chat_id=0, kind="card_update", payload=base, now=now, case_id=case.id)
    if reporter_tg is not None and event.action in RESIDENT_ACTIONS:
        add(chat_id=reporter_tg, kind="resident_notice", payload=base, now=now, case_id=case.id)
    if event.action in RESIDENT_ACTIONS and event.action != "linked_duplicate" and not new_case:
        # people whose duplicate reports were linked to this case follow its progress
        for tg in await uow.cases.follower_tg_ids(case.id):
            if tg != reporter_tg:
                add(
                    chat_id=tg,
                    kind="resident_notice",
                    payload={**base, "follower": True},
                    now=now,
                    case_id=case.id,
                )
    if event.action in ("resolved",) and reporter_tg is not None:
        add(chat_id=reporter_tg, kind="rate_request", payload=base, now=now, case_id=case.id)
    if event.action == "resolved":
        for tg in await grid_workers_for(uow, registry, case.grid_id):
            add(chat_id=tg, kind="verify_task", payload=base, now=now, case_id=case.id)
    if event.action in ("triaged", "returned") or (event.action == "reported" and case.emergency):
        if registry.dispatch_chat_id is not None:  # the dispatchers' group
            add(
                chat_id=registry.dispatch_chat_id,
                kind="triage_notice",
                payload=base,
                now=now,
                case_id=case.id,
            )
        else:  # each dispatcher privately
            for tg in await dispatchers(uow):
                add(chat_id=tg, kind="triage_notice", payload=base, now=now, case_id=case.id)
