"""The transcript store: many rows in one statement, and linking a conversation to its case."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from dispatch.db.orm import MessageRow
from dispatch.service import transcript as store
from dispatch.service.cases import ReportDraft
from tests.conftest import tg_member


def _row(chat_id: int, text: str, clock: Any, case_id: int | None = None) -> dict[str, Any]:
    return {"chat_id": chat_id, "user_id": chat_id, "direction": "in", "kind": "text", "text": text,
            "file_ids": [], "payload": {}, "at": clock.now(), "case_id": case_id}


async def test_link_since_links_only_this_chats_unlinked_messages_from_the_first(app, clock):
    async with app.uow() as uow:
        ids = await store.add_many(uow, [
            _row(1, "before", clock),
            _row(1, "first", clock),
            _row(2, "another chat", clock),
            _row(1, "reply", clock),
        ])
        await uow.commit()
    assert ids == sorted(ids) and len(set(ids)) == 4
    case = await app.service.submit_report(ReportDraft(text="有人乱倒垃圾", reporter_id=await tg_member(app, 100001), category="garbage"))
    case_id = case.id
    assert case_id is not None
    async with app.uow() as uow:
        await store.link_since(uow, 1, ids[1], case_id)
        await uow.commit()
    async with app.uow() as uow:
        rows = {r.text: r.case_id for r in (await uow.session.scalars(select(MessageRow))).all()}
    assert rows["before"] is None and rows["another chat"] is None
    assert rows["first"] == case_id and rows["reply"] == case_id
