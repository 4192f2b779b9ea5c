"""The case's transcript reads as conversations: per person or group, in time order, the button
labels each bot message carried, the label (not the data) of what was pressed, who received each
bot message — the rating press, the unit members' presses and what they typed right after."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from tests.admin.conftest import logged_in


async def add(app: Any, at: Any, **row: Any) -> None:
    async with app.uow() as uow:
        await uow.messages.add(**{"file_ids": [], "payload": {}, "text": "", "case_id": None, "at": at, **row})
        await uow.commit()


async def people(app: Any) -> tuple[Any, Any]:
    async with app.uow() as uow:
        members = await uow.members.all()
    unit_member = next(m for m in members if "zf-chengguan" in m.units and m.tg_id)
    worker = next(m for m in members if "grid_worker" in m.roles and m.tg_id and m.tg_id != 100001)
    return unit_member, worker


def section(page: str, title: str) -> str:
    start = page.index(title)
    end = page.find('<section class="conversation', start)
    return page[start:end if end > 0 else len(page)]


async def test_conversations_with_labels_and_recipients(admin_app: Any, app: Any, users: Any, cases: Any,
                                                        clock: Any) -> None:
    case = cases["dispatched"]
    unit = app.registry.units["zf-chengguan"]
    member, worker = await people(app)
    t = clock.now()
    resident = 100001
    await add(app, t, case_id=case.id, chat_id=resident, user_id=resident, direction="in", kind="text",
              text="解放路菜市场门口天天有人摆摊")
    await add(app, t + timedelta(seconds=5), case_id=case.id, chat_id=resident, direction="out", kind="text",
              text="请确认：占道经营", tg_message_id=41,
              payload={"buttons": [[["✅ 提交", "d:ok:775892462"], ["✏️ 改类别", "d:cat:775892462"]]]})
    await add(app, t + timedelta(seconds=9), case_id=case.id, chat_id=resident, user_id=resident, direction="in",
              kind="callback", text="d:ok:775892462", payload={"message_id": 41})
    # the unit's card in its group; a member presses 退回 and types the reason (not stored with the case)
    await add(app, t + timedelta(minutes=1), case_id=case.id, chat_id=unit.chat_id, direction="out", kind="text",
              text=f"新案件 {case.number}", tg_message_id=7,
              payload={"buttons": [[["📥 接单", f"u:acc:{case.id}"], ["↩️ 退回", f"u:ret:{case.id}"]]]})
    await add(app, t + timedelta(minutes=2), case_id=case.id, chat_id=unit.chat_id, user_id=member.tg_id,
              direction="in", kind="callback", text=f"u:acc:{case.id}", payload={"message_id": 7})
    await add(app, t + timedelta(minutes=3), chat_id=unit.chat_id, user_id=member.tg_id, direction="in",
              kind="text", text="马上派人过去")
    await add(app, t + timedelta(hours=3), chat_id=unit.chat_id, user_id=member.tg_id, direction="in",
              kind="text", text="别的事，和本案无关")
    # the rating request and the resident's press (an older row: no labels stored → known labels)
    await add(app, t + timedelta(hours=4), case_id=case.id, chat_id=resident, direction="out", kind="text",
              text="请评价", tg_message_id=55, payload={"buttons": True})
    await add(app, t + timedelta(hours=4, minutes=1), case_id=case.id, chat_id=resident, user_id=resident,
              direction="in", kind="callback", text=f"r:{case.id}:s:0", payload={"message_id": 55})
    # the grid worker's 核查 task
    await add(app, t + timedelta(hours=5), case_id=case.id, chat_id=worker.tg_id, direction="out", kind="text",
              text="请核查", tg_message_id=9,
              payload={"buttons": [[["✅ 核查通过", f"v:{case.id}:1"], ["❌ 未解决", f"v:{case.id}:0"]]]})
    await add(app, t + timedelta(hours=5, minutes=2), case_id=case.id, chat_id=worker.tg_id,
              user_id=worker.tg_id, direction="in", kind="callback", text=f"v:{case.id}:1",
              payload={"message_id": 9})

    c = await logged_in(admin_app, "viewer")
    page = (await c.get(f"/cases/{case.id}")).text
    transcript = page[page.index('id="transcript"'):]
    transcript = transcript[:transcript.index("</section>\n    </div>")]
    titles = re.findall(r'<h3 class="conv-title">([^<]*)<', transcript)
    reporter = await _name(app, resident)
    assert titles[0].startswith(f"居民 {reporter}（上报人）") and titles[1].startswith(f"「{unit.name}」工作群")
    assert any(t.startswith(f"网格员 {worker.name}") for t in titles)
    assert transcript.count("附按钮") == 1  # only the older row stored without its labels
    for raw in ("d:ok:", "u:acc:", f"r:{case.id}:s", f"v:{case.id}:1", "按下按钮"):
        assert raw not in transcript, raw
    mine = section(transcript, f"居民 {reporter}（上报人）")
    assert "按下「✅ 提交」" in mine and "按下「😊 满意」" in mine
    assert '<span class="btn-label">✅ 提交</span><span class="btn-label">✏️ 改类别</span>' in mine
    assert mine.index("按下「✅ 提交」") < mine.index("按下「😊 满意」")  # time order
    group = section(transcript, f"「{unit.name}」工作群")
    assert "发给 「" + unit.name + "」工作群" in group and "按下「📥 接单」" in group
    assert f"{member.name} ·" in group and "马上派人过去" in group and "别的事" not in group
    assert "按下「✅ 核查通过」" in section(transcript, f"网格员 {worker.name}")
    await c.aclose()


async def _name(app: Any, tg_id: int) -> str:
    async with app.uow() as uow:
        m = await uow.members.by_tg(tg_id)
    assert m is not None
    return str(m.name)
