"""Bot API methods that send, edit and delete messages and answer callback queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .entities import format_text, utf16_len
from .errors import bad_request
from .faults import RateLimiter
from .markup import (
    MAX_CAPTION,
    read_caption,
    read_file,
    read_markup,
    read_text,
    text_fields,
)
from .params import Params
from .state import Chat, Message, World


@dataclass
class Call:
    world: World
    params: Params
    limiter: RateLimiter


MethodFn = Callable[[Call], Any]
METHODS: dict[str, MethodFn] = {}

CHAT_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice",
                "upload_voice", "upload_document", "choose_sticker", "find_location",
                "record_video_note", "upload_video_note"}
_CONTENT_KEYS = ("text", "entities", "photo", "caption", "caption_entities", "location",
                 "document", "video", "voice", "audio", "sticker", "animation", "video_note",
                 "contact")


def method(name: str) -> Callable[[MethodFn], MethodFn]:
    def register(fn: MethodFn) -> MethodFn:
        METHODS[name.lower()] = fn
        return fn
    return register


def _reply_to(call: Call, chat: Chat) -> dict[str, Any]:
    p = call.params
    params = p.json("reply_parameters") or {}
    if not isinstance(params, dict):
        raise bad_request("can't parse reply parameters JSON object")
    message_id = params.get("message_id", p.integer("reply_to_message_id"))
    if message_id is None:
        return {}
    source = chat
    if params.get("chat_id") is not None:
        source = call.world.target_chat(params["chat_id"], sending=False)
    quoted = call.world.quote(source, int(message_id))
    if quoted is None:
        allow = params.get("allow_sending_without_reply",
                           p.flag("allow_sending_without_reply"))
        if allow:
            return {}
        raise bad_request("message to be replied not found")
    return {"reply_to_message": quoted}


def _send(call: Call, fields: dict[str, Any], count: int = 1) -> Message:
    """Common tail of every send method: chat, limits, reply, markup, store."""
    world, p = call.world, call.params
    chat = world.target_chat(p.chat_id())
    markup = read_markup(p)
    reply = _reply_to(call, chat)
    call.limiter.check(chat.id, chat.type, count)
    if markup.inline:
        fields["reply_markup"] = markup.inline
    if p.flag("protect_content"):
        fields["has_protected_content"] = True
    msg = world.store(chat, world.bot, {**reply, **fields})
    markup.apply(world, chat, msg["message_id"])
    return msg


@method("sendMessage")
def send_message(call: Call) -> Message:
    text, entities = read_text(call.params)
    return _send(call, text_fields(text, entities))


@method("sendPhoto")
def send_photo(call: Call) -> Message:
    call.world.target_chat(call.params.chat_id())
    caption = read_caption(call.params)
    record = read_file(call.world, call.params, "photo", "photo")
    return _send(call, {"photo": record.photo_sizes(), **caption})


@method("sendDocument")
def send_document(call: Call) -> Message:
    call.world.target_chat(call.params.chat_id())
    caption = read_caption(call.params)
    record = read_file(call.world, call.params, "document", "document")
    return _send(call, {"document": record.as_media(), **caption})


@method("sendMediaGroup")
def send_media_group(call: Call) -> list[Message]:
    world, p = call.world, call.params
    chat = world.target_chat(p.chat_id())
    media = p.json("media", "media")
    if not isinstance(media, list):
        raise bad_request("parameter \"media\" is required" if media is None
                          else "expected an Array of InputMedia")
    if not 2 <= len(media) <= 10:
        raise bad_request("media group must include 2-10 items")
    kinds = [item.get("type") if isinstance(item, dict) else None for item in media]
    if any(k not in ("photo", "video", "document", "audio") for k in kinds):
        raise bad_request("can't parse InputMedia: unsupported media type")
    if len(set(kinds)) > 1 and ({"document", "audio"} & set(kinds)):
        raise bad_request(f"{'document' if 'document' in kinds else 'audio'} can't be mixed "
                          "with other media types")
    items = []
    for item in media:
        caption = {}
        if item.get("caption"):
            text, entities = format_text(str(item["caption"]), item.get("parse_mode"),
                                         item.get("caption_entities"))
            if utf16_len(text) > MAX_CAPTION:
                raise bad_request("message caption is too long")
            caption = {"caption": text, **({"caption_entities": entities} if entities else {})}
        if not item.get("media"):
            raise bad_request("can't parse InputMedia: media not found")
        record = read_file(world, p, "media", item["type"], value=item["media"])
        content = ({"photo": record.photo_sizes()} if item["type"] == "photo"
                   else {item["type"]: record.as_media()})
        items.append({**content, **caption})
    reply = _reply_to(call, chat)
    call.limiter.check(chat.id, chat.type, len(items))
    group_id = world.next_media_group_id()
    return [world.store(chat, world.bot, {**reply, "media_group_id": group_id, **item})
            for item in items]


@method("sendChatAction")
def send_chat_action(call: Call) -> bool:
    chat = call.world.target_chat(call.params.chat_id())
    action = call.params.string("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    call.world.chat_action(chat, action)
    return True


def _content_of(call: Call, from_chat: Chat, message_id: int | None, what: str) -> Message:
    if message_id is None:
        raise bad_request("message identifier is not specified")
    msg = from_chat.messages.get(message_id)
    if msg is None:
        raise bad_request(f"message to {what} not found")
    return msg


@method("copyMessage")
def copy_message(call: Call) -> dict[str, int]:
    p, world = call.params, call.world
    source = world.target_chat(p.chat_id("from_chat_id"), sending=False)
    original = _content_of(call, source, p.integer("message_id"), "copy")
    content = {k: original[k] for k in _CONTENT_KEYS if k in original}
    if not content:
        raise bad_request("message can't be copied")
    if p.has("caption") and any(k in content for k in ("photo", "document", "video", "audio")):
        content.pop("caption", None)
        content.pop("caption_entities", None)
        content.update(read_caption(p))
    msg = _send(call, content)
    return {"message_id": msg["message_id"]}


@method("forwardMessage")
def forward_message(call: Call) -> Message:
    p, world = call.params, call.world
    source = world.target_chat(p.chat_id("from_chat_id"), sending=False)
    original = _content_of(call, source, p.integer("message_id"), "forward")
    content = {k: original[k] for k in _CONTENT_KEYS if k in original}
    if not content:
        raise bad_request("message can't be forwarded")
    sender = original.get("from") or world.bot.to_api()
    chat = world.target_chat(p.chat_id())
    call.limiter.check(chat.id, chat.type)
    return world.store(chat, world.bot, {
        "forward_origin": {"type": "user", "sender_user": sender, "date": original["date"]},
        "forward_from": sender, "forward_date": original["date"], **content})


# ---------------------------------------------------------------------------- edits


def _editable(call: Call) -> tuple[Chat, Message]:
    p = call.params
    if p.has("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat = call.world.target_chat(p.chat_id(), sending=False)
    message_id = p.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    msg = chat.messages.get(message_id)
    if msg is None:
        raise bad_request("message to edit not found")
    if (msg.get("from") or {}).get("id") != call.world.bot.id or "forward_origin" in msg:
        raise bad_request("message can't be edited")
    return chat, msg


def _edit(call: Call, chat: Chat, msg: Message, fields: dict[str, Any],
          drop: tuple[str, ...]) -> Message:
    markup = read_markup(call.params, inline_only=True)
    if markup.inline:
        fields["reply_markup"] = markup.inline
    else:
        drop = (*drop, "reply_markup")  # an edit without reply_markup removes the keyboard
    after = {k: v for k, v in msg.items() if k not in drop}
    after.update(fields)
    if all(after.get(k) == msg.get(k) for k in set(after) | set(msg)
           if k not in ("edit_date",)):
        raise bad_request("message is not modified: specified new message content and reply "
                          "markup are exactly the same as a current content and reply markup "
                          "of the message")
    return call.world.replace(chat, msg["message_id"], fields, drop=drop)


@method("editMessageText")
def edit_message_text(call: Call) -> Message:
    chat, msg = _editable(call)
    if "text" not in msg:
        raise bad_request("there is no text in the message to edit")
    text, entities = read_text(call.params, edit=True)
    return _edit(call, chat, msg, text_fields(text, entities), drop=("entities",))


@method("editMessageCaption")
def edit_message_caption(call: Call) -> Message:
    chat, msg = _editable(call)
    if not any(k in msg for k in ("photo", "document", "video", "audio", "animation", "voice")):
        raise bad_request("there is no caption in the message to edit")
    return _edit(call, chat, msg, read_caption(call.params),
                 drop=("caption", "caption_entities"))


@method("editMessageReplyMarkup")
def edit_message_reply_markup(call: Call) -> Message:
    chat, msg = _editable(call)
    return _edit(call, chat, msg, {}, drop=())


@method("editMessageMedia")
def edit_message_media(call: Call) -> Message:
    chat, msg = _editable(call)
    media = call.params.json("media", "media")
    if not isinstance(media, dict) or media.get("type") not in ("photo", "document"):
        raise bad_request("can't parse InputMedia: unsupported media type")
    if not any(k in msg for k in ("photo", "document", "video", "audio", "animation")):
        raise bad_request("there is no media in the message to edit")
    record = read_file(call.world, call.params, "media", media["type"], value=media.get("media"))
    content: dict[str, Any] = ({"photo": record.photo_sizes()} if media["type"] == "photo"
                               else {"document": record.as_media()})
    if media.get("caption"):
        text, entities = format_text(str(media["caption"]), media.get("parse_mode"),
                                     media.get("caption_entities"))
        content.update({"caption": text, **({"caption_entities": entities} if entities else {})})
    drop = ("photo", "document", "video", "audio", "animation", "caption", "caption_entities")
    return _edit(call, chat, msg, content, drop=drop)


@method("deleteMessage")
def delete_message(call: Call) -> bool:
    p = call.params
    chat = call.world.target_chat(p.chat_id(), sending=False)
    message_id = p.integer("message_id")
    if message_id is None or message_id not in chat.messages:
        raise bad_request("message to delete not found")
    call.world.delete(chat, message_id)
    return True


@method("deleteMessages")
def delete_messages(call: Call) -> bool:
    p = call.params
    chat = call.world.target_chat(p.chat_id(), sending=False)
    ids = p.json("message_ids") or []
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise bad_request("message_ids must be an Array of 1-100 Integers")
    for message_id in ids:
        if int(message_id) in chat.messages:
            call.world.delete(chat, int(message_id))
    return True


@method("answerCallbackQuery")
def answer_callback_query(call: Call) -> bool:
    p = call.params
    query_id = p.string("callback_query_id")
    if not query_id:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = p.string("text") or ""
    if len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    answer = {"text": text, "show_alert": p.flag("show_alert"), "url": p.string("url")}
    call.world.answer_callback(query_id, answer)
    return True

