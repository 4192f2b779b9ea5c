"""A [提交] press that arrives again — Telegram posts an update once more when the worker that
took it died after the commit and before answering, or the person presses again after an
answer that never came — is answered with the case it made: one case, the same number."""

from __future__ import annotations

from sqlalchemy import func, select

from dispatch.db.orm import CaseRow, ChatSubmissionRow
from tests.bot.conftest import RESIDENT
from tests.bot.helpers import case_row, number_in, to_summary
from tgsandbox.client import buttons_of


async def test_a_submit_press_delivered_twice_makes_one_case(app, people, runtime):
    resident = people.user(RESIDENT)
    card = await to_summary(resident, "五丰菜市场门口有人摆摊占道", place_button="就在五丰菜市场")
    submit = next(b["callback_data"] for b in buttons_of(card) if b["text"] == "✅ 提交")
    await resident.press("✅ 提交")
    number = number_in((await resident.wait_for_message("已受理"))["text"])
    row = await case_row(app, number)

    # The same press once more (as Telegram re-posts it): not a stale-card alert, not a new case.
    answer = await resident.press(submit, message_id=card["message_id"], force=True, wait_answer=True)
    assert not (answer or {}).get("show_alert"), answer
    again = await resident.wait_for_message(lambda m: "已受理" in m.get("text", "") and m["message_id"] > card["message_id"] + 1)
    assert number_in(again["text"]) == number
    async with app.uow() as uow:
        mine = await uow.session.scalar(select(func.count()).select_from(CaseRow).where(CaseRow.reporter_id == row.reporter_id))
        recorded = (await uow.session.execute(select(ChatSubmissionRow))).scalars().all()
    assert mine == 1
    assert [(r.user_id, r.case_id) for r in recorded] == [(RESIDENT, row.id)]


async def test_a_submit_that_failed_after_its_commit_is_found_on_the_next_press(app, people, runtime, monkeypatch):
    """The commit went through but the call failed after it (the database's answer lost): the
    card is kept for another press, and that press finds the case instead of making another."""
    commands = runtime.commands
    real_submit = type(commands).submit
    failures = []

    async def committed_then_failed(self, draft, also=None):
        case = await real_submit(self, draft, also)
        if not failures:
            failures.append(case.number)
            raise ConnectionResetError("the answer to COMMIT was lost")
        return case

    monkeypatch.setattr(type(commands), "submit", committed_then_failed)
    resident = people.user(RESIDENT)
    card = await to_summary(resident, "五丰菜市场门口有人摆摊占道", place_button="就在五丰菜市场")
    answer = await resident.press("✅ 提交", wait_answer=True)
    assert (answer or {}).get("show_alert"), answer  # told it failed, the card stays
    assert failures, "the submit was not reached"
    await resident.press("✅ 提交", message_id=card["message_id"])
    told = await resident.wait_for_message("已受理")
    assert number_in(told["text"]) == failures[0]
    row = await case_row(app, failures[0])
    async with app.uow() as uow:
        mine = await uow.session.scalar(select(func.count()).select_from(CaseRow).where(CaseRow.reporter_id == row.reporter_id))
    assert mine == 1
