"""Formatted text: parse_mode HTML / MarkdownV2 / Markdown into plain text plus entities.

Offsets and lengths are in UTF-16 code units, as in the Bot API. The parsers follow Telegram's
rules closely enough that a bot which forgets to escape a resident's ``<`` fails here the way it
would fail on Telegram ("can't parse entities: Unsupported start tag ...").
"""

from __future__ import annotations

import re
from typing import Any

from .errors import BotAPIError, bad_request

Entity = dict[str, Any]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _parse_error(what: str) -> BotAPIError:
    return bad_request(f"can't parse entities: {what}")


class _Builder:
    """Collects output text and tracks the UTF-16 offset as it goes."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.offset = 0
        self.entities: list[Entity] = []

    def add(self, text: str) -> None:
        if text:
            self.parts.append(text)
            self.offset += utf16_len(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        length = self.offset - start
        if length > 0:
            self.entities.append({"type": kind, "offset": start, "length": length, **extra})

    def result(self) -> tuple[str, list[Entity]]:
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), self.entities


# --------------------------------------------------------------------------- HTML

_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "tg-spoiler": "spoiler", "span": "spoiler", "a": "text_link",
    "code": "code", "pre": "pre", "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'", "nbsp": "\u00a0"}
_TAG_CHARS = re.compile(r"[A-Za-z0-9-]*")
_ATTR_NAME = re.compile(r"[A-Za-z0-9_-]*")
_CHAR_REF = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")


def _decode_ref(src: str, i: int) -> tuple[str, int] | None:
    m = _CHAR_REF.match(src, i)
    if not m:
        return None
    ref = m.group(1)
    if ref.startswith("#"):
        code = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), m.end()
    if ref in _NAMED:
        return _NAMED[ref], m.end()
    return None


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "&" and (ref := _decode_ref(value, i)):
            out.append(ref[0])
            i = ref[1]
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_html(src: str) -> tuple[str, list[Entity]]:
    b = _Builder()
    stack: list[tuple[str, dict[str, str], int]] = []
    i, n = 0, len(src)

    def byte_offset(pos: int) -> int:
        return len(src[:pos].encode("utf-8"))

    while i < n:
        c = src[i]
        if c == "&":
            ref = _decode_ref(src, i)
            if ref:
                b.add(ref[0])
                i = ref[1]
            else:
                b.add("&")
                i += 1
            continue
        if c != "<":
            j = i
            while j < n and src[j] not in "<&":
                j += 1
            b.add(src[i:j])
            i = j
            continue
        begin = i
        i += 1
        if i < n and src[i] == "/":
            i += 1
            if not stack:
                raise _parse_error(f"Unexpected end tag at byte offset {byte_offset(begin)}")
            name = _TAG_CHARS.match(src, i).group(0).lower()  # type: ignore[union-attr]
            i += len(name)
            while i < n and src[i].isspace():
                i += 1
            if i >= n or src[i] != ">":
                raise _parse_error(f"Unclosed end tag at byte offset {byte_offset(begin)}")
            i += 1
            tag, open_attrs, start = stack.pop()
            if name != tag:
                raise _parse_error(
                    f'Unmatched end tag at byte offset {byte_offset(begin)}, expected "</{tag}>", '
                    f'found "</{name}>"'
                )
            _close_html(b, stack, tag, open_attrs, start)
            continue
        name = _TAG_CHARS.match(src, i).group(0)  # type: ignore[union-attr]
        tag = name.lower()
        if tag not in _HTML_TAGS:
            raise _parse_error(
                f'Unsupported start tag "{name}" at byte offset {byte_offset(begin)}')
        i += len(name)
        attrs: dict[str, str] = {}
        while True:
            while i < n and src[i].isspace():
                i += 1
            if i >= n:
                raise _parse_error(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            if src[i] == ">":
                i += 1
                break
            attr = _ATTR_NAME.match(src, i).group(0).lower()  # type: ignore[union-attr]
            if not attr:
                raise _parse_error(
                    f'Empty attribute name in the tag "{tag}" at byte offset {byte_offset(i)}'
                )
            i += len(attr)
            while i < n and src[i].isspace():
                i += 1
            value = ""
            if i < n and src[i] == "=":
                i += 1
                while i < n and src[i].isspace():
                    i += 1
                if i < n and src[i] in "\"'":
                    quote = src[i]
                    end = src.find(quote, i + 1)
                    if end < 0:
                        raise _parse_error(
                            f"Unclosed start tag at byte offset {byte_offset(begin)}"
                        )
                    value = _unescape(src[i + 1 : end])
                    i = end + 1
                else:
                    j = i
                    while j < n and not src[j].isspace() and src[j] != ">":
                        j += 1
                    value = _unescape(src[i:j])
                    i = j
            attrs[attr] = value
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise _parse_error(
                f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}'
            )
        if tag == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise _parse_error(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset '
                               f"{byte_offset(begin)}")
        stack.append((tag, attrs, b.offset))
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return b.result()


def _close_html(
    b: _Builder, stack: list[tuple[str, dict[str, str], int]], tag: str,
    attrs: dict[str, str], start: int,
) -> None:
    kind = _HTML_TAGS[tag]
    if tag == "a":
        href = attrs.get("href", "").strip()
        m = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if m:
            b.entity("text_mention", start, user={"id": int(m.group(1)), "is_bot": False,
                                                  "first_name": ""})
        elif href:
            b.entity("text_link", start, url=href)
        return
    if tag == "code":
        language = attrs.get("class", "")
        parent = stack[-1] if stack else None
        if parent and parent[0] == "pre" and language.startswith("language-"):
            parent[1]["_language"] = language[len("language-"):]
            return
        b.entity("code", start)
        return
    if tag == "pre":
        pre_language = attrs.get("_language")
        b.entity("pre", start, **({"language": pre_language} if pre_language else {}))
        return
    if tag == "blockquote":
        b.entity("expandable_blockquote" if "expandable" in attrs else "blockquote", start)
        return
    if tag == "tg-emoji":
        b.entity("custom_emoji", start, custom_emoji_id=attrs["emoji-id"])
        return
    b.entity(kind, start)


# --------------------------------------------------------------------------- automatic entities

_AUTO = re.compile(
    r"(?P<bot_command>(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/]))"
    r"|(?P<url>\bhttps?://[^\s<>\"]+[^\s<>\".,;:!?)\]\u3002\uff0c])"
    r"|(?P<mention>(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}\b)"
    r"|(?P<hashtag>(?<![\w#])#[\w\u4e00-\u9fff]+)",
)
_NO_AUTO_INSIDE = {"code", "pre", "text_link", "url"}


def _offsets(text: str) -> list[int]:
    """UTF-16 offset of each code point index (plus the end)."""
    out, pos = [0], 0
    for ch in text:
        pos += 2 if ord(ch) > 0xFFFF else 1
        out.append(pos)
    return out


def detect_entities(text: str, entities: list[Entity]) -> list[Entity]:
    """Add the url / mention / hashtag / bot_command entities Telegram detects by itself."""
    if not any(ch in text for ch in "/@#:"):
        return entities
    offsets = _offsets(text)
    blocked = [(e["offset"], e["offset"] + e["length"]) for e in entities
               if e["type"] in _NO_AUTO_INSIDE]
    found = list(entities)
    for m in _AUTO.finditer(text):
        start, end = offsets[m.start()], offsets[m.end()]
        if any(s < end and start < e for s, e in blocked):
            continue
        found.append({"type": m.lastgroup, "offset": start, "length": end - start})
    found.sort(key=lambda e: (e["offset"], -e["length"]))
    return found


def format_text(
    text: str, parse_mode: str | None, entities: list[Entity] | None = None
) -> tuple[str, list[Entity]]:
    """Text and entities as Telegram stores them after parsing ``parse_mode``."""
    mode = (parse_mode or "").strip().lower()
    if entities is not None and not isinstance(entities, list):
        raise bad_request("can't parse entities JSON object")
    from .markdown import parse_markdown, parse_markdown_v2

    if mode == "html":
        text, parsed = parse_html(text)
    elif mode == "markdownv2":
        text, parsed = parse_markdown_v2(text)
    elif mode == "markdown":
        text, parsed = parse_markdown(text)
    elif mode:
        raise bad_request(f"unsupported parse_mode \"{parse_mode}\"")
    else:
        parsed = [dict(e) for e in (entities or [])]
    return text, detect_entities(text, parsed)
