"""Splitting a long text into messages the way Telegram's apps do before sending.

A message holds at most 4096 UTF-16 code units. The apps cut a longer text into several
messages sent in order, each cut at the best boundary in the last quarter before the limit:
a blank line, else a line break, else a sentence end (。！？；.!?), else a space; only a text
without any of them there is cut hard at the limit (never inside a surrogate pair). The
whitespace at a cut is dropped, nothing else is.
"""

from __future__ import annotations

import re

from .entities import utf16_len

LIMIT = 4096
_BOUNDARIES = (re.compile(r"\n[ \t]*\n\s*"), re.compile(r"\n\s*"),
               re.compile(r"(?<=[。！？；])\s*|(?<=[.!?])\s+"), re.compile(r"\s+"))


def _prefix_within(text: str, limit: int) -> int:
    """The length (in characters) of the longest prefix of at most ``limit`` UTF-16 units."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


def split_text(text: str, limit: int = LIMIT) -> list[str]:
    """``text`` as the messages a Telegram app would send (one if it fits)."""
    if limit < 8:
        raise ValueError("limit must be at least 8")
    chunks: list[str] = []
    rest = text.strip()
    while utf16_len(rest) > limit:
        end = _prefix_within(rest, limit)
        floor = end * 3 // 4
        cut, resume = end, end
        for boundary in _BOUNDARIES:
            # the last boundary that starts in [floor, end]
            found = [m for m in boundary.finditer(rest, floor, end + 1) if m.start() > 0]
            if found:
                cut, resume = found[-1].start(), found[-1].end()
                break
        chunks.append(rest[:cut].rstrip())
        rest = rest[resume:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks
