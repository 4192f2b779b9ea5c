"""A press handled after Telegram stopped waiting for its answer (a backlog of updates): the
report is still filed and the person still told its number — answering the press is not the
work, only its courtesy."""

from __future__ import annotations

from sqlalchemy import func, select

from dispatch.db.orm import CaseRow
from tests.bot.conftest import RESIDENT
from tests.bot.helpers import number_in, to_summary


async def test_a_late_submit_press_still_files_and_answers(app, sandbox, people, runtime):
    resident = people.user(RESIDENT)
    await to_summary(resident, "五丰菜市场门口有人摆摊占道", place_button="就在五丰菜市场")
    sandbox.world.config.callback_answer_timeout = -1.0  # every answer now comes too late
    await resident.press("✅ 提交")
    told = await resident.wait_for_message("已受理")
    number = number_in(told["text"])
    async with app.uow() as uow:
        made = await uow.session.scalar(select(func.count()).select_from(CaseRow).where(CaseRow.number == number))
    assert made == 1
    assert runtime.retry.too_late >= 1
