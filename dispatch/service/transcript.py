"""The transcript (`messages`): many rows in one statement, and linking a conversation to
the case it produced."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert, update

from dispatch.db.orm import MessageRow
from dispatch.db.uow import UnitOfWork

FIELDS = (
    "case_id",
    "chat_id",
    "user_id",
    "direction",
    "kind",
    "text",
    "file_ids",
    "payload",
    "tg_message_id",
    "at",
)


async def add_many(uow: UnitOfWork, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert rows (MessageRow fields) in the caller's transaction; their ids, in order.

    One executemany INSERT … RETURNING (SQLAlchemy's insertmanyvalues): the bot stores every
    message in and out, so this path is hot."""
    if not rows:
        return []
    params = [{f: r.get(f) for f in FIELDS} for r in rows]
    result = await uow.session.execute(
        insert(MessageRow).returning(MessageRow.id, sort_by_parameter_order=True), params
    )
    return [int(i) for i in result.scalars().all()]


_MESSAGES: Table = MessageRow.__table__  # type: ignore[assignment]
_LINK_SINCE = (  # built once: the bot links every submitted report's conversation
    update(_MESSAGES)
    .where(
        _MESSAGES.c.chat_id == bindparam("w_chat_id"),
        _MESSAGES.c.id >= bindparam("first_id"),
        _MESSAGES.c.case_id.is_(None),
    )
    .values(case_id=bindparam("link_case_id"))
)


async def link_since(uow: UnitOfWork, chat_id: int, first_id: int, case_id: int) -> None:
    """Every unlinked message of this chat from `first_id` on belongs to `case_id`."""
    params = {"w_chat_id": chat_id, "first_id": first_id, "link_case_id": case_id}
    await uow.session.execute(_LINK_SINCE, params)
