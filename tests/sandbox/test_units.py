"""Fast unit tests of the sandbox's pieces: formatting, images, limits, queues, the world."""

from __future__ import annotations

import asyncio

import pytest

from tgsandbox.entities import format_text, parse_html, utf16_len
from tgsandbox.errors import BotAPIError
from tgsandbox.events import EventLog, chat_key, user_key
from tgsandbox.faults import RateLimitConfig, RateLimiter
from tgsandbox.files import FileStore, sniff_image
from tgsandbox.markdown import parse_markdown_v2
from tgsandbox.state import SandboxError, World
from tgsandbox.updates import UpdateQueue

from .images import solid

# ------------------------------------------------------------------ formatting


def test_html_nested_entities_in_utf16_offsets():
    text, entities = parse_html('😀<b>粗<i>斜</i></b> <a href="https://x.cn/a?b=1&amp;c=2">链接</a>'
                                '<pre><code class="language-python">x = 1</code></pre>')
    assert text == "😀粗斜 链接x = 1"
    assert entities == [
        {"type": "bold", "offset": 2, "length": 2},
        {"type": "italic", "offset": 3, "length": 1},
        {"type": "text_link", "offset": 5, "length": 2, "url": "https://x.cn/a?b=1&c=2"},
        {"type": "pre", "offset": 7, "length": 5, "language": "python"},
    ]
    assert utf16_len("😀") == 2


@pytest.mark.parametrize("src,message", [
    ("a < b", 'Unsupported start tag "" at byte offset 2'),
    ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
    ("<b>未闭合", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
])
def test_html_errors_match_telegram(src, message):
    with pytest.raises(BotAPIError) as info:
        parse_html(src)
    assert info.value.description == f"Bad Request: can't parse entities: {message}"


def test_html_keeps_a_lone_ampersand_and_decodes_references():
    assert parse_html("A & B &lt;3 &#26696; &unknown;")[0] == "A & B <3 案 &unknown;"


def test_markdown_v2():
    text, entities = parse_markdown_v2("*粗* _斜_ __下__ ~删~ ||隐|| `代码` [链接](https://x.cn) 1\\.5")
    assert text == "粗 斜 下 删 隐 代码 链接 1.5"
    assert [e["type"] for e in entities] == ["bold", "italic", "underline", "strikethrough",
                                             "spoiler", "code", "text_link"]
    with pytest.raises(BotAPIError, match="Character '!' is reserved"):
        parse_markdown_v2("好!")
    with pytest.raises(BotAPIError, match="Can't find end of Bold entity"):
        parse_markdown_v2("*粗")


def test_automatic_entities():
    text, entities = format_text("请发 /start 或访问 https://gridbot.cn 查看 #垃圾 @gridbot_help", None)
    found = {e["type"]: text[e["offset"]:e["offset"] + e["length"]] for e in entities}
    assert found == {"bot_command": "/start", "url": "https://gridbot.cn", "hashtag": "#垃圾",
                     "mention": "@gridbot_help"}


# ------------------------------------------------------------------ files


def test_sniff_images():
    assert sniff_image(solid(17, 9)) == ("image/png", 17, 9)
    gif = b"GIF89a" + (40).to_bytes(2, "little") + (30).to_bytes(2, "little") + b"\0" * 20
    assert sniff_image(gif) == ("image/gif", 40, 30)
    jpeg = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
            b"\xff\xc0\x00\x11\x08\x00\x78\x00\xa0\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
            b"\xff\xd9")
    assert sniff_image(jpeg) == ("image/jpeg", 160, 120)
    assert sniff_image(b"hello world") is None


def test_file_store_is_bounded():
    store = FileStore(max_bytes=25)
    first = store.add(b"x" * 10, "document")
    second = store.add(b"y" * 10, "document")
    third = store.add(b"z" * 10, "document")
    assert store.get(first.file_id) is None and store.by_path(first.file_path) is None
    assert store.get(second.file_id) and store.get(third.file_id)
    assert store.total_bytes == 20


# ------------------------------------------------------------------ limits and queues


def test_rate_limiter_token_buckets():
    now = [0.0]
    limiter = RateLimiter(RateLimitConfig(enabled=True, global_per_second=30, global_burst=30,
                                          private_per_second=1, private_burst=2),
                          clock=lambda: now[0])
    limiter.check(1, "private")
    limiter.check(1, "private")
    with pytest.raises(BotAPIError) as info:
        limiter.check(1, "private")
    assert info.value.code == 429 and info.value.parameters == {"retry_after": 1}
    limiter.check(2, "private")  # another chat has its own bucket
    now[0] = 1.0
    limiter.check(1, "private")
    assert limiter.limited == 1


def test_update_queue_allowed_updates_and_bounds():
    queue = UpdateQueue(max_pending=3)
    assert queue.push("chat_member", {}) is None  # excluded by default, like Telegram
    for i in range(5):
        queue.push("message", {"i": i})
    assert [u["message"]["i"] for u in queue.take(10)] == [2, 3, 4]
    assert queue.dropped == 2
    queue.allowed = ["callback_query"]
    assert queue.push("message", {}) is None


async def test_event_log_wakes_only_the_right_viewers():
    log = EventLog()
    waiter_a = asyncio.create_task(log.wait(0, [user_key(1)], 2))
    waiter_b = asyncio.create_task(log.wait(0, [user_key(2)], 0.2))
    await asyncio.sleep(0)
    log.emit([chat_key(-5), user_key(1)], {"type": "message"})
    events, lost = await waiter_a
    assert [e["seq"] for e in events] == [1] and not lost
    assert await waiter_b == ([], False)


def test_event_log_reports_lost_events():
    log = EventLog(maxlen=2)
    for _ in range(5):
        log.emit([user_key(1)], {"type": "message"})
    events, lost = log.since(1, [user_key(1)])
    assert lost and [e["seq"] for e in events] == [4, 5]


# ------------------------------------------------------------------ the world


def test_seed_accepts_demo_county_dicts():
    world = World()
    world.seed(users=[{"tg_id": 100001, "name": "张桂兰", "roles": ["resident"]},
                      {"tg_id": 300001, "name": "王强", "roles": ["unit_member"],
                       "units": ["zf-chengxi"]}],
               groups=[{"id": "zf-chengxi", "chat_id": -1001000000002, "name": "城西执法中队",
                        "members": [300001]}])
    group = world.chats[-1001000000002]
    assert group.type == "supergroup" and group.title == "城西执法中队"
    assert [c.id for c in world.chats_for(300001)] == [300001, -1001000000002]
    with pytest.raises(SandboxError):
        world.seed(groups=[{"chat_id": -5, "name": "x", "members": [42]}])


def test_user_cannot_write_where_they_do_not_belong():
    world = World()
    world.seed(users=[{"id": 1, "name": "甲"}, {"id": 2, "name": "乙"}],
               groups=[{"id": -100, "title": "群", "members": [1]}])
    with pytest.raises(SandboxError):
        world.user_sends(2, -100, {"text": "hi"})
    with pytest.raises(SandboxError):
        world.user_sends(2, 1, {"text": "hi"})
    world.user_sends(1, -100, {"text": "hi"})


def test_messages_per_chat_are_bounded():
    from tgsandbox.config import SandboxConfig

    world = World(SandboxConfig(max_messages_per_chat=3))
    world.seed(users=[{"id": 1, "name": "甲", "started": True}])
    for i in range(5):
        world.user_sends(1, 1, {"text": str(i)})
    chat = world.chats[1]
    assert [m["text"] for m in chat.messages.values()] == ["2", "3", "4"]
    assert chat.next_message_id == 6
