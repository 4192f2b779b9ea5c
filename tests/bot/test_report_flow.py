"""Residents reporting: doubtful categories, typed addresses, emergencies, photos first,
cancelling, replies that are not reports, and two people at once."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from dispatch.db.orm import NluCorrectionRow
from tests.bot.conftest import DISPATCHER, RESIDENT, RESIDENT2, market_point
from tests.bot.fakes import png
from tests.bot.helpers import case_row, number_in, report, transcript, watching
from tgsandbox.client import buttons_of


async def test_low_confidence_asks_top3_then_other_categories(app, people, runtime):
    resident = people.user(RESIDENT)
    await resident.send_text("五丰菜市场旁边那堆东西放了一个月了")
    ask = await resident.wait_for_message("请选择最接近的一项")
    assert [b["text"] for b in buttons_of(ask)] == ["乱堆乱放", "垃圾与环境卫生", "乱搭乱建", "其他"]
    await resident.press("垃圾与环境卫生")
    chosen = await resident.wait_for_message(
        lambda m: m["message_id"] == ask["message_id"] and "已选择" in m["text"]
    )
    assert not buttons_of(chosen)
    await resident.wait_for_message("识别到地点")
    await resident.press("就在五丰菜市场")
    await resident.wait_for_message("现场照片")
    await resident.press("跳过")
    summary = await resident.wait_for_message("请核对")
    assert "垃圾与环境卫生" in summary["text"]
    await resident.press("✅ 提交")
    number = number_in((await resident.wait_for_message("已受理"))["text"])
    row = await case_row(app, number)
    assert row.category == "garbage" and row.unit_id == "hw-chengqu"
    async with app.uow() as uow:  # the person's choice is a labelled example for the NLU
        fix = await uow.session.scalar(select(NluCorrectionRow).where(NluCorrectionRow.case_id == row.id))
    assert fix is not None and (fix.predicted, fix.category) == ("clutter", "garbage")


async def test_change_category_on_the_summary_card(app, people, runtime):
    resident = people.user(RESIDENT)
    await resident.send_text("井盖坏了")
    await resident.wait_for_message("问题在哪里")
    await resident.press("跳过")
    await resident.wait_for_message("现场照片")
    await resident.press("跳过")
    card = await resident.wait_for_message("请核对")
    await resident.press("✏️ 改类别")
    edited = await resident.wait_for_message(
        lambda m: m["message_id"] == card["message_id"] and "正确的问题类别" in m["text"]
    )
    assert len(buttons_of(edited)) == 17  # every category, 其他 last
    await resident.press("排水与污水")
    again = await resident.wait_for_message(
        lambda m: m["message_id"] == card["message_id"] and "排水与污水" in m["text"]
    )
    await resident.press("✅ 提交", message_id=again["message_id"])
    number = number_in((await resident.wait_for_message("已受理"))["text"])
    assert (await case_row(app, number)).category == "drainage"


async def test_typed_address_through_the_gazetteer(app, people, runtime):
    resident = people.user(RESIDENT)
    await resident.send_text("垃圾桶满了没人清运")
    await resident.wait_for_message("问题在哪里")
    await resident.send_text("火星大道")
    await resident.wait_for_message("没有找到「火星大道」")
    await resident.send_text("人民广场东边的垃圾桶")
    located = await resident.wait_for_message("已定位到")
    assert "人民社区第2网格" in located["text"]
    await resident.wait_for_message("现场照片")
    await resident.press("跳过")
    summary = await resident.wait_for_message("请核对")
    assert "人民广场东边的垃圾桶" in summary["text"] and "人民社区第2网格" in summary["text"]
    await resident.press("✅ 提交")
    number = number_in((await resident.wait_for_message("已受理"))["text"])
    row = await case_row(app, number)
    assert row.grid_id == "G-01-01-02-02" and row.unit_id == "hw-chengqu"


async def test_shared_location_names_the_nearest_landmark(app, people, runtime):
    resident = people.user(RESIDENT)
    lat, lon = market_point(app)
    number = await report(resident, "有人在路边摆摊卖菜", location=(lat, lon))
    row = await case_row(app, number)
    assert row.grid_id == "G-01-02-01-01" and row.unit_id == "zf-chengxi"
    assert row.address == "五丰菜市场附近" and abs(row.lat - lat) < 1e-9


async def test_emergency_warns_at_once_and_goes_first(app, people, runtime):
    resident = people.user(RESIDENT)
    dispatcher = await watching(people.user(DISPATCHER))
    await resident.send_text("五丰新村3栋楼道里着火了，好大的烟")
    warning = await resident.wait_for_message("119")
    assert "110" in warning["text"] and "120" in warning["text"]
    await resident.wait_for_message("识别到地点「五丰新村」")
    await resident.send_text("五丰新村3栋")
    summary = await resident.wait_for_message("请核对")  # no photo step for an emergency
    assert "紧急" in summary["text"]
    await resident.press("✅ 提交")
    done = await resident.wait_for_message("已受理")
    assert "紧急" in done["text"]
    row = await case_row(app, number_in(done["text"]))
    assert row.emergency and row.priority == 2
    alert = await dispatcher.wait_for_message(row.number)
    assert "紧急" in alert["text"]


async def test_photo_first_then_words(app, people, runtime):
    resident = people.user(RESIDENT)
    await resident.send_photo(png())  # no caption
    await resident.wait_for_message("请再用一句话说明")
    await resident.send_text("人民广场这里垃圾堆了好几天")
    await resident.wait_for_message("识别到地点")
    await resident.press("就在人民广场")
    summary = await resident.wait_for_message("请核对")  # photos already given
    assert "照片：1 张" in summary["text"]
    await resident.press("✅ 提交")
    number = number_in((await resident.wait_for_message("已受理"))["text"])
    row = await case_row(app, number)
    assert len(row.photos) == 1


async def test_a_caption_in_the_photo_step_adds_to_the_description(app, people, runtime):
    resident = people.user(RESIDENT)
    number = await report(
        resident, "人民广场垃圾没人收", place_button="就在人民广场", photos=1, caption="已经堆了三天，还有异味"
    )
    summary = [m for m in await resident.messages() if "请核对" in (m.get("text") or "")][-1]
    assert "已经堆了三天，还有异味" in summary["text"]
    assert (await case_row(app, number)).description == "人民广场垃圾没人收\n已经堆了三天，还有异味"


async def test_album_is_one_step_and_caption_is_the_report(app, people, runtime):
    resident = people.user(RESIDENT)
    await resident.send_photo([png(rgb=(i, i, i)) for i in (10, 60, 110)], caption="人民广场垃圾没人收")
    await resident.wait_for_message("识别到地点")
    await resident.press("就在人民广场")
    summary = await resident.wait_for_message("请核对")
    assert "照片：3 张" in summary["text"]
    replies = [m for m in await resident.messages() if m.get("from", {}).get("is_bot")]
    assert sum("请再用一句话说明" in (m.get("text") or "") for m in replies) == 0


async def test_cancel_from_any_step(app, people, runtime):
    resident = people.user(RESIDENT)
    await resident.send_text("井盖丢了")
    await resident.wait_for_message("问题在哪里")
    await resident.send_text("取消")
    await resident.wait_for_message("已取消")
    await resident.send_text("井盖丢了")
    await resident.wait_for_message("问题在哪里")
    await resident.press("跳过")
    await resident.wait_for_message("现场照片")
    await resident.press("跳过")
    card = await resident.wait_for_message("请核对")
    await resident.send_text("/cancel")
    await resident.wait_for_message("已取消")
    answer = await resident.press("✅ 提交", message_id=card["message_id"], wait_answer=True)
    assert answer["show_alert"] and "过期" in answer["text"]
    assert await transcript(app, RESIDENT) and (await app_cases(app)) == 0


async def app_cases(app) -> int:
    from sqlalchemy import func

    from dispatch.db.orm import CaseRow

    async with app.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(CaseRow)))


async def test_greeting_thanks_help_are_not_cases(app, people, runtime):
    resident = people.user(RESIDENT)
    for text, expect in (
        ("你好", "请直接描述"),
        ("谢谢你们", "不客气"),
        ("这个怎么用", "怎么用"),
        ("今天天气不错", "主要负责受理"),
    ):
        await resident.send_text(text)
        await resident.wait_for_message(expect)
    assert await app_cases(app) == 0


async def test_status_questions_and_my(app, people, runtime):
    resident = people.user(RESIDENT)
    await resident.send_text("我上次反映的那个怎么样了")
    await resident.wait_for_message("还没有上报过")
    number = await report(resident, "人民广场垃圾没人收", place_button="就在人民广场")
    await resident.send_text("我上次反映的那个怎么样了")
    status = await resident.wait_for_message(number)
    assert "已派遣" in status["text"] and "城区环卫所" in status["text"]
    await resident.send_text(f"请问 {number.lower()} 处理了吗")
    await resident.wait_for_message(lambda m: number in m.get("text", "") and "处置时限" in m["text"])
    await resident.send_text("/my")
    listing = await resident.wait_for_message("您最近的上报")
    assert number in listing["text"]
    # Someone else's case number reveals nothing.
    other = people.user(RESIDENT2)
    await other.send_text(number)
    await other.wait_for_message("没有找到")


async def test_two_residents_at_once(app, people, runtime):
    a, b = people.user(RESIDENT), people.user(RESIDENT2)
    na, nb = await asyncio.gather(
        report(a, "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场", photos=1),
        report(b, "人民广场垃圾桶满了", place_button="就在人民广场", photos=2),
    )
    assert na != nb
    ra, rb = await case_row(app, na), await case_row(app, nb)
    assert (ra.category, len(ra.photos)) == ("street_vending", 1)
    assert (rb.category, len(rb.photos)) == ("garbage", 2)
    ta, tb = await transcript(app, RESIDENT), await transcript(app, RESIDENT2)
    assert all(r.case_id in (None, ra.id) for r in ta) and all(r.case_id in (None, rb.id) for r in tb)
