"""A reply-keyboard answer (跳过 / 完成 / 📍 发送当前位置 / 就在<a known place>) that arrives with no conversation to
answer — its state lost in a restart — is told so, and is never a new report's description."""

from __future__ import annotations

from sqlalchemy import func, select

from dispatch.db.orm import CaseRow
from tests.bot.conftest import RESIDENT


async def test_a_button_answer_without_its_conversation_is_not_a_report(app, people, runtime):
    resident = people.user(RESIDENT)
    for answer in ("跳过", "完成", "就在五丰菜市场"):
        await resident.send_text(answer)
        said = await resident.wait_for_message("对话已中断")
        assert "请重新描述" in said["text"]
    # A real description starts a report as usual, even one beginning with 就在.
    await resident.send_text("就在五丰菜市场门口有人摆摊占道")
    await resident.wait_for_message("识别到地点")
    async with app.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(CaseRow)) == 0
