"""Reply markup, text and files of Bot API calls, validated the way Telegram validates them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .entities import Entity, format_text, utf16_len
from .errors import bad_request
from .files import MAX_PHOTO_BYTES, MAX_UPLOAD_BYTES, FileRecord, sniff_image
from .params import Params, Upload
from .state import Chat, World

MAX_TEXT = 4096
MAX_CAPTION = 1024
_INLINE_ACTIONS = ("url", "callback_data", "web_app", "login_url", "switch_inline_query",
                   "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                   "copy_text", "callback_game", "pay")
_REPLY_BUTTON_FLAGS = ("request_location", "request_contact", "request_poll", "request_users",
                       "request_chat", "web_app")


@dataclass
class Markup:
    """What a reply_markup parameter does: an inline keyboard kept on the message, or a
    change of the chat's reply keyboard (set / remove / force reply)."""

    inline: dict[str, Any] | None = None
    keyboard: dict[str, Any] | None = None
    remove: bool = False
    force_reply: dict[str, Any] | None = None

    def apply(self, world: World, chat: Chat, message_id: int) -> None:
        if self.keyboard is not None:
            world.set_keyboard(chat, self.keyboard, None)
        elif self.remove:
            world.set_keyboard(chat, None, None)
        elif self.force_reply is not None:
            world.set_keyboard(chat, chat.reply_keyboard,
                               {**self.force_reply, "message_id": message_id})


def _inline(markup: dict[str, Any]) -> dict[str, Any]:
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or any(not isinstance(r, list) for r in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup should be an '
                          "Array of Arrays")
    out_rows, count = [], 0
    for row in rows:
        out_row = []
        for button in row:
            if not isinstance(button, dict):
                raise bad_request("can't parse inline keyboard button: InlineKeyboardButton "
                                  "must be an Object")
            text = button.get("text")
            if not isinstance(text, str):
                raise bad_request("can't parse inline keyboard button: Field \"text\" must be "
                                  "of type String")
            if not text.strip():
                raise bad_request("BUTTON_TEXT_INVALID")
            actions = [a for a in _INLINE_ACTIONS if button.get(a) is not None]
            if not actions:
                raise bad_request("can't parse inline keyboard button: Text buttons are "
                                  "unallowed in the inline keyboard")
            if "callback_data" in actions:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in actions:
                url = str(button["url"])
                if not url.startswith(("http://", "https://", "tg://")) or " " in url:
                    raise bad_request("BUTTON_URL_INVALID")
            out_row.append({"text": text, **{a: button[a] for a in actions}})
            count += 1
        if out_row:
            out_rows.append(out_row)
    if count > 100:
        raise bad_request("reply markup is too long")
    return {"inline_keyboard": out_rows}


def _reply_keyboard(markup: dict[str, Any]) -> dict[str, Any]:
    rows = markup.get("keyboard")
    if not isinstance(rows, list) or any(not isinstance(r, list) for r in rows):
        raise bad_request('field "keyboard" of the ReplyKeyboardMarkup should be an Array of '
                          "Arrays")
    out_rows = []
    for row in rows:
        out_row = []
        for button in row:
            if isinstance(button, str):
                button = {"text": button}
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse keyboard button: KeyboardButton must be a String "
                                  "or an Object")
            if not button["text"].strip():
                raise bad_request("keyboard button text is empty")
            out_row.append({"text": button["text"],
                            **{f: button[f] for f in _REPLY_BUTTON_FLAGS if button.get(f)}})
        if out_row:
            out_rows.append(out_row)
    if not out_rows:
        raise bad_request("keyboard must be non-empty")
    data: dict[str, Any] = {"keyboard": out_rows}
    for flag in ("resize_keyboard", "one_time_keyboard", "is_persistent", "selective",
                 "input_field_placeholder"):
        if markup.get(flag) is not None:
            data[flag] = markup[flag]
    return data


def read_markup(p: Params, inline_only: bool = False) -> Markup:
    markup = p.json("reply_markup", "reply keyboard markup")
    if markup is None:
        return Markup()
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return Markup(inline=_inline(markup) or None)
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        return Markup(keyboard=_reply_keyboard(markup))
    if markup.get("remove_keyboard"):
        return Markup(remove=True)
    if markup.get("force_reply"):
        placeholder = markup.get("input_field_placeholder")
        return Markup(force_reply={"placeholder": placeholder} if placeholder else {})
    raise bad_request("can't parse reply keyboard markup JSON object")


def read_text(p: Params, field: str = "text", mode_field: str = "parse_mode",
              entities_field: str = "entities", edit: bool = False
              ) -> tuple[str, list[Entity]]:
    raw = p.string(field)
    if raw is None or raw == "":
        raise bad_request("message text is empty")
    text, entities = format_text(raw, p.string(mode_field), p.json(entities_field))
    if not text.strip():
        raise bad_request("message text is empty")
    if utf16_len(text) > MAX_TEXT:
        raise bad_request("MESSAGE_TOO_LONG" if edit else "message is too long")
    return text, entities


def read_caption(p: Params, field: str = "caption", mode_field: str = "parse_mode",
                 entities_field: str = "caption_entities") -> dict[str, Any]:
    raw = p.string(field)
    if not raw:
        return {}
    text, entities = format_text(raw, p.string(mode_field), p.json(entities_field))
    if utf16_len(text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    if not text.strip():
        return {}
    return {"caption": text, **({"caption_entities": entities} if entities else {})}


def text_fields(text: str, entities: list[Entity]) -> dict[str, Any]:
    return {"text": text, **({"entities": entities} if entities else {})}


def store_upload(world: World, upload: Upload, kind: str) -> FileRecord:
    data = upload.data
    if not data:
        raise bad_request("file must be non-empty")
    if kind == "photo":
        if len(data) > MAX_PHOTO_BYTES:
            raise bad_request("PHOTO_SAVE_FILE_INVALID")
        image = sniff_image(data)
        if image is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        mime, width, height = image
        if width + height > 10000 or min(width, height) == 0 or max(width, height) > 20 * min(
                width, height):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        return world.files.add(data, "photo", mime, upload.filename, width, height)
    if len(data) > MAX_UPLOAD_BYTES:
        raise bad_request("file is too big")
    return world.files.add(data, kind, upload.content_type or None, upload.filename)


def read_file(world: World, p: Params, field: str, kind: str,
              value: Any = None) -> FileRecord:
    """An InputFile parameter: an uploaded part, ``attach://<name>`` or a file_id."""
    if value is None:
        upload = p.uploads.get(field)
        if upload is not None:
            return store_upload(world, upload, kind)
        value = p.raw(field)
    if not value:
        raise bad_request(f"there is no {kind} in the request")
    value = str(value)
    if value.startswith("attach://"):
        upload = p.uploads.get(value[len("attach://"):])
        if upload is None:
            raise bad_request(f"can't find attached file \"{value[9:]}\"")
        return store_upload(world, upload, kind)
    if value.startswith(("http://", "https://")):
        raise bad_request("failed to get HTTP URL content")
    record = world.files.get(value)
    if record is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if record.kind != kind:
        raise bad_request(f"can't use file of type {record.kind.title()} as "
                          f"{kind.title()}")
    return record


def media_fields(record: FileRecord, kind: str | None = None) -> dict[str, Any]:
    kind = kind or record.kind
    if kind == "photo":
        return {"photo": record.photo_sizes()}
    return {kind: record.as_media()}
