"""Nobody takes over a unit's group with a leaked code: `/bind` in another group while the
unit has one only asks an admin (the unit's group is told at once); nothing routes to the new
group until an admin approves; on approval the old group is told and the cards go to the new
group; on rejection the group that asked is told. Through the real aiogram client and the
sandbox; the decision as the console makes it (`chat_moves.decide`, tested through the console
itself in tests/admin/test_group_moves.py)."""

from __future__ import annotations

from sqlalchemy import select

from dispatch.db.orm import ConfigAuditRow
from dispatch.service import chat_moves, membership
from dispatch.service.config_log import AuditActor
from tests.bot.conftest import CHENGXI_GROUP, RESIDENT, UNIT_CHENGXI
from tests.bot.helpers import case_row, report, watching
from tests.conftest import tg_actor

CHENGXI = "zf-chengxi"
OUTSIDER = 300888
DOGS_MEMBER = 300026  # 石磊 of qg-county


async def _outsider_asks_for_the_group(app, people, group_id: int):
    """An outsider joins 城西执法中队 with a leaked member code and sends a leaked bind code in
    a group of their own. Returns (the outsider in that group, the request)."""
    now = app.clock.now()
    member_code = await membership.create_invite(app.uow(), app.registry, "unit_member", CHENGXI, now)
    bind_code = await membership.create_invite(app.uow(), app.registry, "bind_group", CHENGXI, now)
    await people.create_user(id=OUTSIDER, first_name="外人")
    outsider = people.user(OUTSIDER)
    await outsider.send_text(f"/start {member_code}")
    await outsider.wait_for_message("已加入")
    await people.create_group(id=group_id, type="group", title="外人的群", members=[OUTSIDER])
    in_group = people.user(OUTSIDER, chat_id=group_id)
    real_group = await watching(people.user(UNIT_CHENGXI, chat_id=CHENGXI_GROUP))
    await in_group.send_text(f"/bind {bind_code}")
    await in_group.wait_for_message("等待管理员批准")
    await real_group.wait_for_message(lambda m: "外人的群" in m.get("text", "") and "/bind" in m["text"])
    [move] = await chat_moves.pending(app.uow(), CHENGXI)
    assert (move.from_chat_id, move.to_chat_id, move.requested_by) == (CHENGXI_GROUP, group_id, OUTSIDER)
    return in_group, move


async def test_a_leaked_bind_code_only_asks_and_an_admin_approves(app, people, runtime):
    in_group, move = await _outsider_asks_for_the_group(app, people, -5000101)
    assert app.registry.units[CHENGXI].chat_id == CHENGXI_GROUP  # nothing moved

    # The next case's card still goes to the real group, never to the outsider's.
    real_group = await watching(people.user(UNIT_CHENGXI, chat_id=CHENGXI_GROUP))
    number = await report(people.user(RESIDENT), "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    await real_group.wait_for_message(lambda m: number in m.get("text", ""), timeout=15)
    assert not any(number in m.get("text", "") for m in await in_group.messages())

    # An admin approves (say it was the unit's new group after all): the unit moves, audit-logged.
    old_group = await watching(people.user(UNIT_CHENGXI, chat_id=CHENGXI_GROUP))
    in_group = await watching(in_group)
    decided = await chat_moves.decide(app.uow(), move.id, True, AuditActor("admin", "admin"), app.clock.now())
    assert decided.state == "approved"
    await runtime.commands.app.reload()
    runtime.relay.kick()
    await old_group.wait_for_message("今后的案件不再推送到本群")
    await in_group.wait_for_message("本群现为「城西执法中队」的工作群")
    assert app.registry.units[CHENGXI].chat_id == -5000101
    async with app.uow() as uow:
        audit = (
            await uow.session.scalars(select(ConfigAuditRow).where(ConfigAuditRow.object_kind == "unit"))
        ).all()
    [entry] = [a for a in audit if a.object_id == CHENGXI]
    assert (entry.actor_kind, entry.actor) == ("admin", "admin")
    assert (entry.before, entry.after) == ({"chat_id": CHENGXI_GROUP}, {"chat_id": -5000101})
    first = await case_row(app, number)
    await app.service.cancel(
        first.id, await tg_actor(app, RESIDENT, "resident"), "报错了"
    )  # (else the next report is its duplicate)
    number2 = await report(people.user(RESIDENT), "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    await in_group.wait_for_message(lambda m: number2 in m.get("text", ""), timeout=15)


async def test_a_rejected_move_is_told_to_the_group_that_asked(app, people, runtime):
    in_group, move = await _outsider_asks_for_the_group(app, people, -5000102)
    in_group = await watching(in_group)
    await chat_moves.decide(app.uow(), move.id, False, AuditActor("admin", "admin"), app.clock.now())
    runtime.relay.kick()
    await in_group.wait_for_message("拒绝了把「城西执法中队」的工作群改到本群的申请")
    assert app.registry.units[CHENGXI].chat_id == CHENGXI_GROUP
    assert await chat_moves.pending(app.uow(), CHENGXI) == []
    try:  # decided once
        await chat_moves.decide(app.uow(), move.id, True, AuditActor("admin", "admin"), app.clock.now())
        raise AssertionError("a decided request was decided again")
    except chat_moves.MoveNotPending:
        pass


async def test_a_unit_without_a_group_is_bound_at_once(app, people, runtime):
    """First binding: no approval needed (the unit had nowhere to send cards), audit-logged."""
    dogs, chat_id = "qg-county", -5000103
    async with app.uow() as uow:  # a unit whose group is not known yet
        await uow.units.set_chat(dogs, None)
        await uow.commit()
    await app.reload()
    code = await membership.create_invite(app.uow(), app.registry, "bind_group", dogs, app.clock.now())
    await people.create_group(id=chat_id, type="group", title="犬管办", members=[DOGS_MEMBER])
    member = people.user(DOGS_MEMBER, chat_id=chat_id)
    await member.send_text(f"/bind {code}")
    await member.wait_for_message("已绑定为")
    assert app.registry.units[dogs].chat_id == chat_id
    assert await chat_moves.pending(app.uow(), dogs) == []
    async with app.uow() as uow:
        audit = (
            await uow.session.scalars(select(ConfigAuditRow).where(ConfigAuditRow.object_id == dogs))
        ).all()
    assert [(a.before, a.after) for a in audit] == [({"chat_id": None}, {"chat_id": chat_id})]
