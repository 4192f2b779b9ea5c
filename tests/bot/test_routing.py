"""The routers' shortcuts (`bot.routes`: skip_unless checks, the states a router's handlers
wait in, AllOf, the group of routers before `report`) and the JSON session's fast paths
change no outcome: every update goes to the same handler, with the same command / callback
data, as without them; every body and answer is what aiogram's own code makes of it."""

from __future__ import annotations

import datetime
import itertools
import json
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram import methods as m
from aiogram import types as t
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation

from bot import keyboards as kb
from bot.routers import all_routers
from bot.routers import common as c
from bot.session import JsonAiohttpSession
from bot.states import Report, Resolve, ReturnCase, VerifyFail

TOKEN = "123456789:AAEaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
USER = {"id": 1001, "is_bot": False, "first_name": "A"}
CHATS = [
    {"id": 1001, "type": "private", "first_name": "A"},
    {"id": -500, "type": "group", "title": "G"},
    {"id": -100500, "type": "supergroup", "title": "S"},
]
PHOTO = [{"file_id": "f1", "file_unique_id": "u1", "width": 10, "height": 10}]
POINT = {"latitude": 30.1, "longitude": 120.1}
CONTENTS: list[dict[str, Any]] = [
    {"text": t}
    for t in (
        "小区路灯坏了",
        "/start",
        "/start inv_abc",
        "/start@gridbot_test_bot",
        "/start@otherbot",
        "/help",
        "/cancel",
        "/CANCEL",
        "/bind X1",
        "/bind",
        "/tasks",
        "  /my",
        "\n/tasks x",
        "/my@otherbot",
        "/foo",
        "/",
        "/ my",
        "取消",
        " 算了。",
        "跳过",
        "完成",
        "就在幸福小区",
        "   ",
    )
] + [
    {"photo": PHOTO},
    {"photo": PHOTO, "caption": "/tasks"},
    {"photo": PHOTO, "caption": "取消"},
    {"photo": PHOTO, "caption": "路灯坏了"},
    {"photo": PHOTO, "media_group_id": "g1"},
    {"document": {"file_id": "d1", "file_unique_id": "x1", "mime_type": "image/jpeg"}, "caption": "/bind C"},
    {"document": {"file_id": "d2", "file_unique_id": "x2", "mime_type": "application/pdf"}},
    {"document": {"file_id": "d3", "file_unique_id": "x3"}},
    {"location": POINT},
    {"location": POINT, "venue": {"location": POINT, "title": "t", "address": "a"}},
    {"voice": {"file_id": "v", "file_unique_id": "vu", "duration": 1}, "caption": "/my"},
    {"video_note": {"file_id": "n", "file_unique_id": "nu", "length": 1, "duration": 1}},
    {"contact": {"phone_number": "1", "first_name": "x"}},
    {"migrate_to_chat_id": -100500},
    {"migrate_from_chat_id": -500},
    {"new_chat_members": [USER]},
    {"new_chat_title": "T"},
]
def _generated_presses() -> list[str]:
    """For every kind of button in the keyboards: a well-formed press, and the malformed ones
    (prefix alone, an empty field, a field missing, one too many, a number that is not one, a
    number too large for any id) — so a new kind of button is covered without a line here."""
    from aiogram.filters.callback_data import CallbackData

    kinds = [k for k in vars(kb).values()
             if isinstance(k, type) and issubclass(k, CallbackData) and k is not CallbackData]
    assert kinds
    sample = {int: "5", bool: "1", str: "ok"}
    out: list[str] = []
    for k in kinds:
        p, s = k.__prefix__, k.__separator__
        values = [sample.get(f.annotation, "x") for f in k.model_fields.values()]  # type: ignore[arg-type]
        out += [s.join([p, *values]), p, p + s, s.join([p, *values[:-1]]), s.join([p, *values, "y"]),
                s.join([p, *("x" for _ in values)]), s.join([p, *("9" * 25 for _ in values)])]
    return out


PRESSES = sorted({
    "d:ok:5", "d:cat:5", "d:no:5", "d:spot:5", "d:zz:5", "d:ok:x", "d", "d:", "k:5:road", "k",
    "u:acc:1", "u:ret:1", "u:res:1", "u", "rr:1:x", "rr:1:x:y", "r:1:s:0", "r:1:s", "r", "v:1:1", "v:1:0",
    "v", "x:ok:5", "garbage", "", *_generated_presses(),
})  # fmt: skip
STATES = [None] + [
    s.state
    for s in (
        Report.describe,
        Report.category,
        Report.location,
        Report.photos,
        Report.confirm,
        Report.on_spot,
        Resolve.photo,
        Resolve.note,
        ReturnCase.reason,
        VerifyFail.note,
    )
]


def _bot() -> Bot:
    bot = Bot(TOKEN)
    bot._me = t.User(id=123456789, is_bot=True, first_name="B", username="gridbot_test_bot")
    return bot


def _dispatcher(shortcuts: bool, seen: list[str]) -> Dispatcher:
    """The bot's routers with every handler replaced by one noting its name and what the
    filters gave it."""
    dp = Dispatcher(storage=MemoryStorage(), events_isolation=SimpleEventIsolation())
    routers = all_routers(shortcuts=shortcuts)
    for router in (r for top in routers for r in top.chain_tail):
        for observer in router.observers.values():
            for handler in observer.handlers:

                async def noted(*_: Any, _name: str = handler.callback.__qualname__, **kw: Any) -> None:
                    seen.append(f"{_name} {kw.get('command')!r} {kw.get('callback_data')!r}")

                handler.callback, handler.varkw = noted, True
    dp.include_routers(*routers)
    return dp


def _updates() -> list[tuple[int, str | None, dict[str, Any]]]:
    ids = itertools.count(1)
    out: list[tuple[int, str | None, dict[str, Any]]] = []
    for chat, state in itertools.product(CHATS, STATES):

        def message(_chat: dict[str, Any] = chat, **content: Any) -> dict[str, Any]:
            return {"message_id": next(ids), "date": 1700000000, "chat": _chat, "from": USER, **content}

        for content in CONTENTS:
            out.append((chat["id"], state, {"message": message(**content)}))
            out.append((chat["id"], state, {"edited_message": message(edit_date=1700000001, **content)}))
        for data in PRESSES:
            press = {"id": "q", "from": USER, "chat_instance": "c", "message": message(text="card")}
            out.append((chat["id"], state, {"callback_query": {**press, **({"data": data} if data else {})}}))
        inline = {"id": "q", "from": USER, "chat_instance": "c", "data": "d:ok:5", "inline_message_id": "i"}
        out.append((chat["id"], state, {"callback_query": inline}))
    for chat, status in itertools.product(CHATS, ("member", "left")):
        member = {
            "date": 1700000000,
            "chat": chat,
            "from": USER,
            "old_chat_member": {"status": "left", "user": USER},
            "new_chat_member": {"status": status, "user": USER},
        }
        out.append((chat["id"], None, {"my_chat_member": member}))
    return [(chat_id, state, {"update_id": next(ids), **u}) for chat_id, state, u in out]


async def _route(shortcuts: bool) -> list[str]:
    bot, seen = _bot(), []
    dp = _dispatcher(shortcuts, seen)
    outcome = []
    for chat_id, state, update in _updates():
        key = StorageKey(bot_id=bot.id, chat_id=chat_id, user_id=USER["id"])
        await dp.storage.set_state(key, state)
        seen.clear()
        await dp.feed_update(bot, t.Update.model_validate(update, context={"bot": bot}))
        outcome.append(f"{chat_id} {state} {json.dumps(update, ensure_ascii=False)[:160]} -> {seen}")
    return outcome


async def test_shortcuts_route_every_update_as_before() -> None:
    with_shortcuts, without = await _route(True), await _route(False)
    assert len(with_shortcuts) > 2000
    assert [o for o in with_shortcuts if "[]" in o] == [o for o in without if "[]" in o]
    assert with_shortcuts == without
    handled = {o.split("-> ")[1] for o in without}
    assert len(handled) > 40  # the updates reach (nearly) every handler


def test_plain_filters_agree_with_their_magic_versions() -> None:
    magic = {
        c.PRIVATE: F.chat.type == "private",
        c.GROUP: F.chat.type.in_({"group", "supergroup"}),
        c.PHOTO: F.photo | F.document.mime_type.startswith("image/"),
    }
    ids = itertools.count(1)
    for chat, content in itertools.product(CHATS, CONTENTS):
        message = t.Message.model_validate(
            {"message_id": next(ids), "date": 1700000000, "chat": chat, "from": USER, **content}
        )
        for plain, reference in magic.items():
            assert bool(plain.resolve(message)) == bool(reference.resolve(message)), (plain, content)
        for data in ("d:ok:5", None):
            for inline in (False, True):
                press = t.CallbackQuery(
                    id="q",
                    from_user=t.User(**USER),
                    chat_instance="c",
                    data=data,
                    message=None if inline else message,
                    inline_message_id="i" if inline else None,
                )
                reference = F.message.chat.type == "private"
                assert bool(c.CB_PRIVATE.resolve(press)) == bool(reference.resolve(press))


# -- the JSON session ------------------------------------------------------------------------------
def _aiogram_payload(session: BaseSession, bot: Bot, method: m.TelegramMethod[Any]) -> dict[str, Any] | None:
    """The body as bot/session.py made it before its fast path: model_dump + prepare_value."""
    files: dict[str, Any] = {}
    payload = {}
    for key, value in method.model_dump(warnings=False).items():
        prepared = session.prepare_value(value, bot=bot, files=files, _dumps_json=False)
        if prepared is not None and prepared != "":
            payload[key] = prepared
    return None if files else payload


INLINE = t.InlineKeyboardMarkup(
    inline_keyboard=[
        [
            t.InlineKeyboardButton(text="a", url="https://x"),
            t.InlineKeyboardButton(text="b", callback_data=""),
        ],
        [t.InlineKeyboardButton(text="w", web_app=t.WebAppInfo(url="https://w"))],
    ]
)
METHODS = [
    m.SendMessage(chat_id=1, text="x", reply_markup=kb.location_keyboard("幸福小区")),
    m.SendMessage(chat_id="@c", text="x", reply_markup=kb.photos_keyboard(), disable_notification=True),
    m.SendMessage(chat_id=1, text="x", reply_markup=kb.summary_keyboard(5, True)),
    m.SendMessage(chat_id=1, text="x", reply_markup=t.ReplyKeyboardRemove()),
    m.SendMessage(chat_id=1, text="x", reply_markup=t.ForceReply(input_field_placeholder="p")),
    m.SendMessage(chat_id=1, text="x", reply_markup=INLINE, parse_mode=None),
    m.SendMessage(chat_id=1, text="", parse_mode=""),
    m.SendMessage(chat_id=1, text="x", entities=[t.MessageEntity(type="bold", offset=0, length=1)]),
    m.SendMessage(chat_id=1, text="x", link_preview_options=t.LinkPreviewOptions()),
    m.SendMessage(chat_id=1, text="x", reply_parameters=t.ReplyParameters(message_id=3), message_thread_id=0),
    m.SendMessage(chat_id=1, text="x", extra_field=5),
    m.EditMessageText(chat_id=1, message_id=5, text="t", reply_markup=None),
    m.EditMessageText(inline_message_id="i", text="t", reply_markup=INLINE),
    m.AnswerCallbackQuery(callback_query_id="1", text="警告", show_alert=True, cache_time=0),
    m.SendLocation(chat_id=1, latitude=30.1, longitude=120.2, disable_notification=False),
    m.SendPhoto(chat_id=1, photo="file-id", caption="c", reply_markup=kb.skip_keyboard()),
    m.SendPhoto(chat_id=1, photo=t.BufferedInputFile(b"x", "a.png")),
    m.SendMediaGroup(
        chat_id=1, media=[t.InputMediaPhoto(media="f1", caption="x"), t.InputMediaPhoto(media="f2")]
    ),
    m.GetUpdates(offset=5, timeout=10, allowed_updates=["message", "callback_query"]),
    m.SetMyCommands(commands=[t.BotCommand(command="start", description="开始")]),
    m.BanChatMember(chat_id=1, user_id=2, until_date=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)),
    m.DeleteWebhook(drop_pending_updates=False),
]


@pytest.mark.parametrize("method", METHODS, ids=lambda x: type(x).__name__)
def test_json_bodies_are_what_aiogram_makes(method: m.TelegramMethod[Any]) -> None:
    session = JsonAiohttpSession()
    for default in (
        DefaultBotProperties(parse_mode="HTML"),
        DefaultBotProperties(link_preview_is_disabled=True),
    ):
        bot = Bot(TOKEN, default=default)
        fast, reference = session.json_payload(bot, method), _aiogram_payload(session, bot, method)
        assert repr(fast) == repr(reference)  # same keys, order, values and types


MESSAGE = {
    "message_id": 1, "date": 1700000000, "chat": {"id": 1, "type": "private", "first_name": "居民"},
    "from": {"id": 123456789, "is_bot": True, "first_name": "B"}, "text": "已提交 😀",
    "entities": [{"type": "bold", "offset": 0, "length": 3}], "extra_field": {"a": [1]},
    "reply_markup": {"inline_keyboard": [[{"text": "提交", "callback_data": "d:ok:5"}]]},
}  # fmt: skip
ANSWERS = [
    (
        m.SendMessage(chat_id=1, text="x"),
        200,
        json.dumps({"ok": True, "result": MESSAGE}, ensure_ascii=False),
    ),
    (m.EditMessageText(inline_message_id="1", text="x"), 200, '{"ok":true,"result":true}'),
    (m.GetUpdates(), 200, json.dumps({"ok": True, "result": [{"update_id": 5, "message": MESSAGE}]})),
    (m.AnswerCallbackQuery(callback_query_id="1"), 400, '{"ok":false,"error_code":400,"description":"Bad"}'),
    (
        m.SendMessage(chat_id=1, text="x"),
        429,
        '{"ok":false,"error_code":429,"description":"Too Many Requests","parameters":{"retry_after":3}}',
    ),
    (m.SendMessage(chat_id=1, text="x"), 502, "<html>bad gateway</html>"),
    (m.SendMessage(chat_id=1, text="x"), 200, "not json"),
    (m.SendMessage(chat_id=1, text="x"), 200, '{"ok":true,"result":{"message_id":1}}'),
    (m.SendMessage(chat_id=1, text="x"), 200, '{"ok":false,"description":"odd"}'),
]


@pytest.mark.parametrize(("method", "status", "content"), ANSWERS)
def test_answers_are_what_aiogram_makes_of_them(method: Any, status: int, content: str) -> None:
    bot = Bot(TOKEN)

    def outcome(check: Any) -> Any:
        try:
            response = check(bot=bot, method=method, status_code=status, content=content)
        except Exception as exc:  # the same exception, with the same message
            return type(exc), str(exc)
        result = response.result
        bots = [r.bot is bot for r in (result if isinstance(result, list) else [result]) if hasattr(r, "bot")]
        return repr(response), bots, response.model_fields_set

    reference = outcome(lambda **kw: BaseSession.check_response(JsonAiohttpSession(), **kw))
    assert outcome(JsonAiohttpSession().check_response) == reference
