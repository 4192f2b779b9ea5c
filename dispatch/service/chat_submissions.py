"""A chat report's submission, made idempotent: the summary card's [提交] carries a nonce;
the case it made is recorded under (Telegram user, nonce) in the submit's own transaction, so a
press that arrives again — Telegram posting an update once more after a worker died between
the commit and its answer, or the person pressing again after a failed answer — finds that
case instead of making a second one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from dispatch.db.orm import ChatSubmissionRow
from dispatch.db.uow import UnitOfWork
from dispatch.domain.case import Case
from dispatch.service.cases import AlsoInTransaction


def record(user_id: int, nonce: int, at: datetime) -> AlsoInTransaction:
    """What `submit_report` runs in its transaction once the case has its id."""

    async def add(uow: UnitOfWork, case: Case) -> None:
        assert case.id is not None
        uow.session.add(ChatSubmissionRow(user_id=user_id, nonce=nonce, case_id=case.id, at=at))

    return add


async def submitted(uow: UnitOfWork, user_id: int, nonce: int) -> Case | None:
    """The case a (user, nonce) submission made, if it was made."""
    case_id = (
        await uow.session.execute(
            select(ChatSubmissionRow.case_id).where(
                ChatSubmissionRow.user_id == user_id, ChatSubmissionRow.nonce == nonce
            )
        )
    ).scalar_one_or_none()
    return None if case_id is None else await uow.cases.get(case_id)
