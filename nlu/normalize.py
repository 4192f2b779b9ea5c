"""Normalisation: one canonical form of a resident's message, with offsets back.

Steps (all but the last two are one `str.translate`, so they keep the length):

- full-width ASCII → half-width (ＡＢＣ１２３ → abc123), ideographic space → space;
- ASCII upper case → lower case (plates and English words are matched case-free);
- traditional → simplified Chinese, character by character, from the
  opencc-python-reimplemented `TSCharacters` table (loaded lazily, once);
- control characters, tabs and newlines → space; zero-width characters and emoji
  variation selectors are deleted;
- emoji: kept as themselves (`EMOJI_MODE`, chosen by measurement: see README);
- Chinese numerals before a building/house unit → digits (三号楼 → 3号楼,
  十二栋 → 12栋, 二零一室 → 201室).

Deletions and numeral rewrites change the length, so a `Normalized` keeps, only
when it is needed, the span of original text behind every normalised character;
`Normalized.span()` maps an entity found in the normalised text back to offsets
into the ORIGINAL text.

Why not `OpenCC('t2s').convert()`: it costs ~90 µs per message here (the budget
for the whole pipeline is 200 µs) and its phrase rules change the length, which
breaks entity offsets. Character-level conversion covers what matters for
classification.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

EMOJI_MODE = "keep"  # "keep" | "drop" (→ space) | "marker" (→ EMOJI_MARKER)
EMOJI_MARKER = "\u263a"
_DELETE = "\ue000"  # private-use sentinel for characters to drop

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMERAL = re.compile(
    r"[零〇一二两三四五六七八九十百]+(?=号楼|号院|栋|幢|单元|号|楼|层|室|座|期|区|组)"
)

# Code points treated as emoji / pictographs.
EMOJI_RANGES: tuple[tuple[int, int], ...] = (
    (0x1F000, 0x1FAFF),
    (0x2600, 0x27BF),
    (0x2300, 0x23FF),
    (0x2B00, 0x2BFF),
    (0x3297, 0x3297),
    (0x3299, 0x3299),
)
_ZERO_WIDTH = (
    list(range(0x200B, 0x2010))
    + [0x2060, 0xFEFF, 0x00AD, 0x20E3]
    + list(range(0xFE00, 0xFE10))
    + list(range(0x1F3FB, 0x1F400))  # skin-tone modifiers
    + list(range(0xE0020, 0xE0080))  # tag characters (flag sequences)
)
_SPACES = [0x00A0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000] + list(range(0x2000, 0x200B))


def is_emoji(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in EMOJI_RANGES)


def _opencc_dictionary() -> Path:
    import opencc  # opencc-python-reimplemented; imported only when the table is built

    return Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"


@lru_cache(maxsize=4)
def translation_table(emoji_mode: str = EMOJI_MODE) -> dict[int, str]:
    """The length-preserving character map (built once, on first use)."""
    table: dict[int, str] = {}
    try:
        with open(_opencc_dictionary(), encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) != 2:
                    continue
                trad, simp = parts[0], parts[1].split(" ")[0]
                if len(trad) == 1 and len(simp) == 1 and trad != simp:
                    table[ord(trad)] = simp
    except (ImportError, OSError):  # pragma: no cover - opencc is a declared dependency
        pass
    if emoji_mode != "keep":
        repl = " " if emoji_mode == "drop" else EMOJI_MARKER
        for lo, hi in EMOJI_RANGES:
            for cp in range(lo, hi + 1):
                table[cp] = repl
    for cp in range(0xFF01, 0xFF5F):
        table[cp] = chr(cp - 0xFEE0).lower()
    for cp in range(ord("A"), ord("Z") + 1):
        table[cp] = chr(cp + 32)
    for cp in list(range(0, 32)) + list(range(0x7F, 0xA0)):
        table[cp] = " "
    for cp in _SPACES:
        table[cp] = " "
    for cp in _ZERO_WIDTH:
        table[cp] = _DELETE
    for cp in range(0xE000, 0xF900):  # private use: meaningless, and holds our sentinel
        table[cp] = _DELETE
    return table


def chinese_numeral_value(s: str) -> int | None:
    """三 → 3, 十二 → 12, 二十三 → 23, 一百零五 → 105, 二零一 → 201; None if not a number."""
    if not s:
        return None
    if "十" not in s and "百" not in s:
        if any(c not in _CN_DIGITS for c in s):
            return None
        return int("".join(str(_CN_DIGITS[c]) for c in s))
    total, current = 0, 0
    for c in s:
        if c in _CN_DIGITS:
            current = _CN_DIGITS[c]
        elif c == "十":
            total += (current or 1) * 10
            current = 0
        elif c == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


@dataclass(frozen=True, slots=True)
class Normalized:
    """Normalised text plus, when lengths differ, the original span behind each char."""

    original: str
    text: str
    starts: tuple[int, ...] | None = None  # starts[i]: original offset where char i comes from
    ends: tuple[int, ...] | None = None  # ends[i]: original end offset of that piece

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map the normalised slice [start, end) to offsets into the original text."""
        if self.starts is None or self.ends is None:
            return start, end
        if start >= end:
            pos = self.starts[start] if start < len(self.starts) else len(self.original)
            return pos, pos
        return self.starts[start], self.ends[end - 1]


def normalize(text: str, emoji_mode: str = EMOJI_MODE) -> Normalized:
    t = text.translate(translation_table(emoji_mode))
    numerals = [m for m in _CN_NUMERAL.finditer(t) if chinese_numeral_value(m.group()) is not None]
    if not numerals and _DELETE not in t:
        return Normalized(text, t)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i = 0
    for m in numerals + [None]:
        stop = m.start() if m is not None else len(t)
        for j in range(i, stop):
            if t[j] != _DELETE:
                out.append(t[j])
                starts.append(j)
                ends.append(j + 1)
        if m is None:
            break
        digits = str(chinese_numeral_value(m.group()))
        out.extend(digits)
        starts.extend([m.start()] * len(digits))
        ends.extend([m.end()] * len(digits))
        i = m.end()
    return Normalized(text, "".join(out), tuple(starts), tuple(ends))


_WORD_CHAR = re.compile(r"[^\W_]")  # a letter or digit of any script (CJK included), not emoji


def is_contentless(text: str) -> bool:
    """True when a (normalised) text has no letter, digit or CJK character at all."""
    return _WORD_CHAR.search(text) is None


def word_chars(text: str) -> list[str]:
    return _WORD_CHAR.findall(text)
