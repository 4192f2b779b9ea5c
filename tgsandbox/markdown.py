"""parse_mode MarkdownV2 and the legacy Markdown, as Telegram parses them."""

from __future__ import annotations

import re

from .entities import Entity, _Builder, _parse_error
from .errors import BotAPIError

# --------------------------------------------------------------------------- MarkdownV2

_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_MARKERS = [("||", "spoiler"), ("__", "underline"), ("*", "bold"), ("_", "italic"),
                 ("~", "strikethrough")]
_MDV2_NAMES = {"bold": "Bold", "italic": "Italic", "underline": "Underline",
               "strikethrough": "Strikethrough", "spoiler": "Spoiler", "text_link": "TextUrl"}


def parse_markdown_v2(src: str) -> tuple[str, list[Entity]]:
    b = _Builder()
    stack: list[tuple[str, str, int, int]] = []  # marker, kind, offset, byte offset of marker
    i, n = 0, len(src)

    def byte_offset(pos: int) -> int:
        return len(src[:pos].encode("utf-8"))

    def reserved(ch: str) -> BotAPIError:
        return _parse_error(f"Character '{ch}' is reserved and must be escaped with the "
                            f"preceding '\\'")

    while i < n:
        c = src[i]
        if c == "\\":
            if i + 1 < n and 0 < ord(src[i + 1]) <= 126:
                b.add(src[i + 1])
                i += 2
                continue
            b.add("\\")
            i += 1
            continue
        if c == "`":
            fence = src.startswith("```", i)
            mark = "```" if fence else "`"
            j = i + len(mark)
            language = ""
            if fence:
                nl = src.find("\n", j)
                first = src[j:nl] if nl >= 0 else ""
                if nl >= 0 and re.fullmatch(r"[A-Za-z0-9+#._-]*", first):
                    language, j = first, nl + 1
            start, k, body = b.offset, j, []
            while k < n and not src.startswith(mark, k):
                if src[k] == "\\" and k + 1 < n and src[k + 1] in "`\\":
                    body.append(src[k + 1])
                    k += 2
                else:
                    body.append(src[k])
                    k += 1
            if k >= n:
                kind = "Pre" if fence else "Code"
                raise _parse_error(f"Can't find end of {kind} entity at byte offset "
                                   f"{byte_offset(i)}")
            b.add("".join(body))
            if fence:
                b.entity("pre", start, **({"language": language} if language else {}))
            else:
                b.entity("code", start)
            i = k + len(mark)
            continue
        if c == "[":
            stack.append(("[", "text_link", b.offset, byte_offset(i)))
            i += 1
            continue
        if c == "]" and stack and stack[-1][0] == "[":
            _, _, start, _ = stack.pop()
            if not src.startswith("(", i + 1):
                raise reserved("]")
            k, url = i + 2, []
            while k < n and src[k] != ")":
                if src[k] == "\\" and k + 1 < n:
                    url.append(src[k + 1])
                    k += 2
                else:
                    url.append(src[k])
                    k += 1
            if k >= n:
                raise _parse_error(f"Can't find end of a URL at byte offset {byte_offset(i)}")
            href = "".join(url).strip()
            m = re.fullmatch(r"tg://user\?id=(\d+)", href)
            if m:
                b.entity("text_mention", start,
                         user={"id": int(m.group(1)), "is_bot": False, "first_name": ""})
            elif href:
                b.entity("text_link", start, url=href)
            i = k + 1
            continue
        matched = next(((m, k) for m, k in _MDV2_MARKERS if src.startswith(m, i)), None)
        if matched:
            marker, kind = matched
            if stack and stack[-1][0] == marker:
                _, kind, start, _ = stack.pop()
                b.entity(kind, start)
            elif any(s[0] == marker for s in stack):
                raise _parse_error(f"Can't find end of {_MDV2_NAMES[kind]} entity at byte "
                                   f"offset {byte_offset(i)}")
            else:
                stack.append((marker, kind, b.offset, byte_offset(i)))
            i += len(marker)
            continue
        if c in _MDV2_RESERVED:
            raise reserved(c)
        b.add(c)
        i += 1
    if stack:
        marker, kind, _, offset = stack[-1]
        raise _parse_error(f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {offset}")
    return b.result()


# --------------------------------------------------------------------------- Markdown (legacy)


def parse_markdown(src: str) -> tuple[str, list[Entity]]:
    b = _Builder()
    i, n = 0, len(src)
    pairs = {"*": "bold", "_": "italic"}
    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            b.add(src[i + 1])
            i += 2
            continue
        if c in pairs or c == "`" or c == "[":
            mark = "```" if src.startswith("```", i) else c
            close = "]" if c == "[" else mark
            end = src.find(close, i + len(mark))
            if end < 0:
                raise _parse_error("Can't find end of the entity starting at byte offset "
                                   f"{len(src[:i].encode('utf-8'))}")
            start = b.offset
            b.add(src[i + len(mark) : end])
            if c == "[":
                if src.startswith("(", end + 1) and (close_paren := src.find(")", end)) > 0:
                    b.entity("text_link", start, url=src[end + 2 : close_paren])
                    i = close_paren + 1
                    continue
                i = end + 1
                continue
            kind = pairs.get(c) or ("pre" if mark == "```" else "code")
            b.entity(kind, start)
            i = end + len(mark)
            continue
        b.add(c)
        i += 1
    return b.result()
