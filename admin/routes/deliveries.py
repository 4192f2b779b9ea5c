"""Notifications the relay gave up on (投递失败): a person blocked the bot, a group was
deleted, a chat does not exist. Admins and dispatchers see who missed what, and act."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

import texts
from admin.accounts import SessionInfo
from admin.web import VIEWER, gb, render_page
from dispatch.db.orm import CaseRow, MemberRow
from dispatch.db.outbox import Failure, failures
from dispatch.db.uow import UnitOfWork
from dispatch.service.registry import Registry

router = APIRouter()
T = texts.ADMIN
LIMIT = 200


@dataclass(frozen=True)
class FailedDelivery:
    failure: Failure
    number: str  # the case number, or "" for a notice without a case
    recipient: str  # a unit, a dispatchers' group or a person, by name
    kind: str  # what it was, in words


async def failed_deliveries(
    uow: UnitOfWork, registry: Registry, *, case_id: int | None = None, limit: int = LIMIT
) -> list[FailedDelivery]:
    async with uow:
        rows = await failures(uow, case_id=case_id, limit=limit)
        case_ids = {r.case_id for r in rows if r.case_id is not None}
        chat_ids = {r.chat_id for r in rows}
        numbers = dict(
            (
                await uow.session.execute(select(CaseRow.id, CaseRow.number).where(CaseRow.id.in_(case_ids)))
            ).all()
            if case_ids
            else []
        )
        people = dict(
            (
                await uow.session.execute(
                    select(MemberRow.tg_id, MemberRow.name).where(MemberRow.tg_id.in_(chat_ids))
                )
            ).all()
            if chat_ids
            else []
        )
    groups = {u.chat_id: u.name for u in registry.units.values() if u.chat_id is not None}
    if registry.dispatch_chat_id is not None:
        groups[registry.dispatch_chat_id] = T["deliveries_dispatch_group"]

    def recipient(chat_id: int) -> str:
        if chat_id in groups:
            return groups[chat_id]
        if chat_id in people:
            return str(people[chat_id])
        return T["deliveries_unknown_chat"].format(chat_id=chat_id)

    return [
        FailedDelivery(
            failure=r,
            number=str(numbers.get(r.case_id, "")) if r.case_id is not None else "",
            recipient=recipient(r.chat_id),
            kind=T.get(f"delivery_kind_{r.kind}", r.kind),
        )
        for r in rows
    ]


@router.get("/deliveries")
async def deliveries(request: Request, info: SessionInfo = VIEWER) -> Response:
    app = gb(request)
    items = await failed_deliveries(app.uow(), app.registry)
    return await render_page(
        request, "deliveries.html", {"items": items, "limit": LIMIT, "nav": "deliveries"}
    )
