"""Grid workers (现场已处置, /tasks), invite links, binding a group, a group becoming a supergroup."""

from __future__ import annotations

import asyncio

from dispatch.service import membership
from tests.bot.conftest import CHENGXI_GROUP, DISPATCHER, RESIDENT, UNIT_CHENGXI, WORKER_WUFENG
from tests.bot.fakes import png
from tests.bot.helpers import case_row, number_in, report, seen_or_wait, watching

DOGS_UNIT, DOGS_GROUP = "qg-county", -1001000000018


async def test_grid_worker_fixes_on_the_spot(app, people, runtime):
    worker = people.user(WORKER_WUFENG)
    await worker.send_text("五丰菜市场门口有人摆摊")
    await worker.wait_for_message("识别到地点")
    await worker.press("就在五丰菜市场")
    await worker.wait_for_message("现场照片")
    await worker.send_photo(png())
    await worker.wait_for_message("已收到照片")
    await worker.press("完成")
    card = await worker.wait_for_message("请核对")
    await worker.press("🛠 现场已处置", message_id=card["message_id"])
    await worker.wait_for_message("处置后的现场照片")
    await worker.send_photo(png(rgb=(0, 255, 0)), caption="已劝离")
    done = await worker.wait_for_message("已记录现场处置")
    row = await case_row(app, number_in(done["text"]))
    assert (row.status, row.on_spot, row.reporter_role) == ("closed", True, "grid_worker")
    assert [p["kind"] for p in row.photos] == ["report", "result"]


async def test_residents_do_not_get_the_on_the_spot_button(app, people, runtime):
    resident = people.user(RESIDENT)
    await resident.send_text("人民广场垃圾没人收")
    await resident.wait_for_message("识别到地点")
    await resident.press("就在人民广场")
    await resident.wait_for_message("现场照片")
    await resident.press("跳过")
    card = await resident.wait_for_message("请核对")
    assert "现场已处置" not in str(card["reply_markup"])


async def test_tasks_lists_what_waits(app, people, runtime):
    number = await report(people.user(RESIDENT), "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    unit_member = people.user(UNIT_CHENGXI)
    await unit_member.send_text("/tasks")
    listing = await unit_member.wait_for_message("您的待办")
    assert "单位待处置 1 件" in listing["text"] and number in listing["text"]
    worker = people.user(WORKER_WUFENG)
    await worker.send_text("/tasks")
    await worker.wait_for_message("暂时没有待办")
    resident = people.user(RESIDENT)
    await resident.send_text("/tasks")
    await resident.wait_for_message("/my")


async def test_invite_links_make_unit_members_and_grid_workers(app, people, runtime):
    now = app.clock.now()
    unit_code = await membership.create_invite(app.uow(), app.registry, "unit_member", DOGS_UNIT, now)
    grid_code = await membership.create_invite(app.uow(), app.registry, "grid_worker", "G-01-03-01-01", now)
    await people.create_user(id=300777, first_name="新同事")
    newcomer = people.user(300777)
    await newcomer.send_text(f"/start {unit_code}")
    await newcomer.wait_for_message("已加入「县犬类管理办公室」")
    await newcomer.send_text(f"/start {grid_code}")
    await newcomer.wait_for_message("滨江社区第1网格")
    await newcomer.send_text(f"/start {unit_code}")
    await newcomer.wait_for_message("已经被使用过")
    await newcomer.send_text("/start not-a-code")
    await newcomer.wait_for_message("无效或已过期")
    async with app.uow() as uow:
        m = await uow.members.by_tg(300777)
    assert DOGS_UNIT in m.units and "G-01-03-01-01" in m.grids
    assert {"unit_member", "grid_worker"} <= m.roles


async def test_bind_a_group_then_it_becomes_a_supergroup(app, people, runtime):
    group = await people.create_group(
        id=-5000001, type="group", title="犬管办新工作群", members=[DISPATCHER, 300026]
    )
    chat_id = group["id"]
    admin = people.user(DISPATCHER, chat_id=chat_id)
    await admin.send_text("大家好")  # unknown group: no answer
    await admin.send_text("/bind")
    await admin.wait_for_message("用法")
    await admin.send_text("/bind wrong")
    await admin.wait_for_message("绑定码无效")
    code = await membership.create_invite(app.uow(), app.registry, "bind_group", DOGS_UNIT, app.clock.now())
    old_group = await watching(people.user(300026, chat_id=DOGS_GROUP))
    await admin.send_text(f"/bind {code}")  # an admin's own /bind moves the unit at once
    await admin.wait_for_message("已绑定为「县犬类管理办公室」")
    assert app.registry.units[DOGS_UNIT].chat_id == chat_id
    await old_group.wait_for_message("今后的案件不再推送到本群")  # and its old group is told

    # A dog report now lands in the new group.
    number = await report(people.user(RESIDENT), "滨江公园有狗不牵绳还咬人", place_button="就在滨江公园")
    watcher = people.user(DISPATCHER, chat_id=chat_id)
    await seen_or_wait(watcher, lambda m: number in m.get("text", ""))

    # The group is upgraded to a supergroup: cards follow the new id.
    new_id = await people.migrate_group(chat_id)
    for _ in range(50):
        if app.registry.units[DOGS_UNIT].chat_id == new_id:
            break
        await asyncio.sleep(0.1)
    assert app.registry.units[DOGS_UNIT].chat_id == new_id
    number2 = await report(people.user(RESIDENT), "滨江广场好多流浪狗", place_button="就在滨江广场")
    await seen_or_wait(people.user(DISPATCHER, chat_id=new_id), lambda m: number2 in m.get("text", ""))


async def test_group_chatter_in_unit_groups_is_ignored(app, people, runtime):
    member = await watching(people.user(UNIT_CHENGXI, chat_id=CHENGXI_GROUP))
    await member.send_text("今天谁值班？")
    try:
        await member.wait_for_message(timeout=1.0)
        raise AssertionError("the bot answered group chatter")
    except TimeoutError:
        pass
