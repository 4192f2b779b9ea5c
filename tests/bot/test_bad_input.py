"""What people send that is not a neat report, and chats that go away: a sensible answer or a
logged skip, never an unhandled exception, and nothing a resident sent is lost."""

from __future__ import annotations

import asyncio

from tests.bot.conftest import CHENGXI_GROUP, RESIDENT, RESIDENT2
from tests.bot.helpers import case_row, number_in, outbox, report, seen_or_wait, transcript, watching


async def test_stickers_voice_documents_videos_get_an_answer_and_are_kept(app, people, runtime):
    resident = people.user(RESIDENT)
    for kind, expect in (
        ("sticker", "只能看懂文字"),
        ("voice", "听不了语音"),
        ("document", "只能看懂文字"),
        ("video", "只能看懂文字"),
        ("video_note", "听不了语音"),
        ("animation", "只能看懂文字"),
    ):
        await resident.send_media(kind)
        await resident.wait_for_message(expect)
    await resident.send_contact()
    await resident.wait_for_message("只能看懂文字")
    kinds = [r.kind for r in await transcript(app, RESIDENT) if r.direction == "in"]
    assert kinds == ["sticker", "voice", "document", "video", "video_note", "animation", "contact"]
    assert all(r.file_ids for r in await transcript(app, RESIDENT) if r.kind in ("sticker", "voice", "video"))


async def test_a_4096_character_report(app, people, runtime):
    resident = people.user(RESIDENT)
    text = "人民广场垃圾没人收。" + "很脏" * 2043
    assert len(text) == 4096
    await resident.send_text(text)
    await resident.wait_for_message("识别到地点")
    await resident.press("就在人民广场")
    await resident.wait_for_message("现场照片")
    await resident.press("跳过")
    summary = await resident.wait_for_message("请核对")
    assert len(summary["text"]) < 1200
    await resident.press("✅ 提交")
    done = await resident.wait_for_message("已受理")
    row = await case_row(app, _number(done))
    assert row.description.startswith("人民广场垃圾没人收")
    stored = [r for r in await transcript(app, RESIDENT) if r.direction == "in" and r.kind == "text"]
    assert stored[0].text == text  # the whole message, even if the case keeps 4,000 characters


def _number(message) -> str:
    return number_in(message["text"])


async def test_unknown_groups_are_skipped_silently(app, people, runtime):
    group = await people.create_group(title="某小区业主群", members=[RESIDENT, RESIDENT2])
    someone = await watching(people.user(RESIDENT, chat_id=group["id"]))
    await someone.send_text("楼下垃圾好多")
    await someone.send_media("sticker")
    try:
        await someone.wait_for_message(timeout=1.0)
        raise AssertionError("the bot spoke in an unknown group")
    except TimeoutError:
        pass
    assert await transcript(app, group["id"]) == []


async def test_a_resident_who_blocked_the_bot(app, people, runtime):
    resident = people.user(RESIDENT)
    number = await report(resident, "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    await people.block(RESIDENT)
    member = people.user(300001, chat_id=CHENGXI_GROUP)
    card = await seen_or_wait(member, lambda m: number in m.get("text", ""))
    await member.press("📥 接单", message_id=card["message_id"], wait_answer=True)
    for _ in range(50):  # the notice of 接单 fails with 403: the row is failed, the member flagged
        rows = [
            r for r in await outbox(app) if r.kind == "resident_notice" and r.payload["action"] == "accepted"
        ]
        if rows and rows[0].state == "failed":
            break
        await asyncio.sleep(0.1)
    assert rows[0].state == "failed" and "403" in rows[0].last_error
    async with app.uow() as uow:
        assert (await uow.members.by_tg(RESIDENT)).blocked
    assert (await case_row(app, number)).status == "accepted"
    # Coming back clears the flag.
    await people.block(RESIDENT, False)
    await resident.send_text("/start")
    await resident.wait_for_message("随手拍")
    async with app.uow() as uow:
        assert not (await uow.members.by_tg(RESIDENT)).blocked


async def test_a_deleted_unit_group(app, people, runtime):
    await people.delete_group(CHENGXI_GROUP)
    resident = people.user(RESIDENT)
    number = await report(resident, "五丰菜市场门口有人摆摊", place_button="就在五丰菜市场")
    for _ in range(50):
        cards = [r for r in await outbox(app) if r.kind == "unit_card"]
        if cards and cards[0].state != "pending":
            break
        await asyncio.sleep(0.1)
    assert cards[0].state == "failed" and (
        "deleted" in cards[0].last_error or "not found" in cards[0].last_error
    )
    assert (await case_row(app, number)).status == "dispatched"
    await resident.send_text("/my")  # the bot carries on
    await resident.wait_for_message(number)


async def test_out_of_range_and_malformed_ids_in_presses_are_refused(app, people, runtime):
    """Every kind of button with an id no database can hold, a negative or zero id, or a
    number where a word belongs: a short notice, never the "system busy" of an exception."""
    resident = people.user(RESIDENT)
    await resident.send_text("/start")
    mine = (await resident.wait_for_message("随手拍"))["message_id"]
    huge = "99999999999999999999999"
    for data in (
        f"u:acc:{huge}",
        f"u:res:{huge}",
        f"u:ret:{2**63}",
        f"rr:{huge}:other",
        f"r:{huge}:s:0",
        "r:1:s:-1",
        f"v:{huge}:1",
        f"d:ok:{huge}",
        f"k:{huge}:garbage",
        "u:acc:-5",
        "u:acc:0",
        "r:1:s:0:extra",
        "v:1:maybe",
    ):
        answer = await resident.press(data, message_id=mine, force=True, wait_answer=True)
        assert answer is not None and answer["text"] == "无权操作", (data, answer)


async def test_messages_without_a_sender_are_handled_or_ignored_cleanly(app, people, runtime, sandbox, caplog):
    """`from` is optional in the Bot API: channel posts, a channel or an anonymous admin
    writing in a group (`sender_chat`). Such a message is stored and answered or ignored,
    never an exception; the bot goes on for everyone."""
    import logging
    import time

    def push(chat: dict, **fields) -> None:
        msg = {"message_id": 900000 + len(sandbox.world.updates.pending), "date": int(time.time()),
               "chat": chat, **fields}
        sandbox.world.updates.push("message", msg)

    private = {"id": RESIDENT, "type": "private", "first_name": "居民"}
    group = {"id": CHENGXI_GROUP, "type": "supergroup", "title": "城西执法中队"}
    channel = {"id": -1009999999999, "type": "channel", "title": "某频道"}
    caplog.set_level(logging.INFO)
    watcher = await watching(people.user(RESIDENT))
    for chat, fields in (
        (private, {"text": "/start"}),
        (private, {"text": "/my"}),
        (private, {"text": "/tasks"}),
        (private, {"text": "五丰菜市场门口有人摆摊"}),
        (private, {"text": "QH-20261123-0001 怎么样了"}),
        (private, {"location": {"latitude": 30.0, "longitude": 120.0}}),
        (private, {"photo": [{"file_id": "p1", "file_unique_id": "p1", "width": 8, "height": 8}]}),
        (group, {"text": "/tasks", "sender_chat": channel}),
        (group, {"text": "大家好", "sender_chat": group}),
        (group, {"text": "/bind abc", "sender_chat": group}),
    ):
        push(chat, **fields)
    await resident_still_answered(watcher)
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == [], [r.getMessage() for r in failures]
    stored = [r for r in await transcript(app, RESIDENT) if r.direction == "in" and r.user_id is None]
    assert len(stored) == 7
    in_group = [r for r in await transcript(app, CHENGXI_GROUP) if r.direction == "in" and r.user_id is None]
    assert [r.text for r in in_group] == ["/tasks", "大家好", "/bind abc"]


async def resident_still_answered(resident) -> None:
    await asyncio.sleep(1.0)
    await resident.send_text("你好")
    await resident.wait_for_message("您好")
