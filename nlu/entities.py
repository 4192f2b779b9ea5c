"""Entities: places, licence plates, phone numbers, times, house/building numbers.

Patterns run on the normalised text (half-width, lower case, simplified, numerals
before building units as digits), and every entity's offsets are mapped back to
the ORIGINAL text, so `original[start:end] == entity["text"]` always holds.

Places come from two sources: gazetteer names registered at start-up
(`EntityExtractor.add_places`, longest match wins) and a suffix pattern
(…路/街/巷/大道/小区/花园/新村/市场/广场/学校/医院/公园/村…) whose left edge is
found by walking back over name-like characters and stopping at function words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from nlu.normalize import Normalized

PLACE, PLATE, PHONE, TIME, HOUSE = "place", "plate", "phone", "time", "house_number"
MAX_ENTITY_CHARS = 10_000
MAX_ENTITIES = 50

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
PLATE_RE = re.compile(
    rf"(?=[{_PROVINCES}])(?<![a-z0-9])[{_PROVINCES}][a-z][\s·•・.\-]?[a-z0-9]{{5,6}}(?![a-z0-9])[挂学警港澳]?"
)
PHONE_RE = re.compile(
    r"(?=[\d+(:\s])(?:(?<![\d+])(?:\+?86[\s\-]?)?1[3-9]\d(?:[\s\-]?\d{4}){2}(?!\d)"  # mobile
    r"|(?<!\d)(?:\(0\d{2,3}\)|0\d{2,3})[\s\-]?[2-9]\d{6,7}(?!\d)"  # landline with area code
    r"|(?<=电话)[:\s]?[2-9]\d{6,7}(?!\d))"  # local number right after 电话
)
_DIGIT = re.compile(r"\d")
_N = r"(?:\d{1,2}|[零一二两三四五六七八九十]{1,3})"
_DAY = (
    r"(?:今天|昨天|前天|明天|后天|今早|今晨|昨早|今晚|昨晚|前晚|明晚|今夜|昨夜|每天|每晚|每日|"
    r"每个?(?:周|星期|礼拜)[一二三四五六日天末]?|(?:上|下|这|本)?(?:周|星期|礼拜)[一二三四五六日天末]|"
    r"工作日|节假日|上周|上个月|本周)"
)
_WEAK_DAY = r"(?:天天|这几天|前几天|最近|这周|平时)"  # a time only with a part of day or clock after it
_PART = (
    r"(?:早上|早晨|清早|一大早|一早|上午|中午|午间|下午|傍晚|晚上|晚间|夜里|夜间|半夜|深夜|凌晨|"
    r"夜晚|白天|晚饭后|饭点)"
)
_DATE = rf"(?:\d{{4}}年)?{_N}月{_N}[日号]"
_CLOCK = (
    r"(?:\d{1,2}[:：]\d{2}|\d{1,2}(?:点|时)(?:半|一刻|三刻|\d{1,2}分?|钟)?|"
    r"[零一二两三四五六七八九十]{1,3}点(?:半|一刻|三刻|[零一二三四五六七八九十]{1,3}分?|\d{1,2}分?|钟)?)"
)
TIME_RE = re.compile(
    # the leading look-ahead lets the engine reject most positions with one class test
    r"(?=[\d零一二两三四五六七八九十今昨前明后每天上下这本工节最平早清一中午傍晚夜半深凌白饭周星礼])"
    rf"(?:(?:{_DATE})?(?:{_DAY}|{_WEAK_DAY})?(?:{_PART})?{_CLOCK}(?:左右|多)?"
    rf"|(?:{_DATE}|{_DAY})(?:{_PART})?"
    rf"|{_WEAK_DAY}{_PART}"
    rf"|{_PART})"
)
_CN_CLOCK_ONLY = re.compile(r"^[零一二两三四五六七八九十]{1,3}点$")
HOUSE_RE = re.compile(
    r"(?=[a-z0-9])(?:(?<![a-z0-9])(?:[a-z]|\d{1,4})(?:号楼|栋|幢|座)(?:\d{1,2}单元)?(?:\d{1,2}(?:层|楼))?"
    r"(?:\d{1,4}(?:室|号|户)?)?"
    r"|(?<![\d])\d{1,2}单元(?:\d{3,4}(?:室|号)?)?"
    r"|(?<![\d\-])\d{1,3}-\d{1,2}-\d{3,4}(?![\d\-])"
    r"|(?<=[路街巷道村弄])\d{1,4}号(?:院)?(?![楼线])"
    r"|(?<![\d])\d{3,4}(?:室|房间))"
)
PLACE_SUFFIXES = (
    "农贸市场", "批发市场", "步行街", "商业街", "菜市场", "幼儿园", "卫生院", "火车站", "汽车站",
    "地铁站", "体育馆", "大道", "大街", "小区", "花园", "家园", "新村", "新城", "公寓", "大厦",
    "广场", "商场", "市场", "学校", "小学", "中学", "大学", "医院", "公园", "社区", "胡同",
    "菜场", "路", "街", "巷", "村", "苑", "府", "弄",
)
_SUFFIX_RE = re.compile("|".join(PLACE_SUFFIXES))
_NAME_CHAR = re.compile(r"[\u3400-\u9fffa-z0-9]")
_STOP_WORDS = frozenset(
    """在 到 从 往 去 的 了 是 与 跟 及 或 我 你 他 她 它 这 那 就 都 也 还 又 被 把 给 让 说 请 很 太 啥
    咋 哪 个 我们 你们 他们 俺们 咱们 我家 俺家 我们家 俺 咱 住在 位于 靠近 路过 经过 反映 投诉 举报 发现
    巡查 市民 群众
    门口 附近 对面 旁边 隔壁 楼下 楼上 里面 外面 周边 一带 那边 这边 那里 这里 后面 前面 天天 每天 今天 昨天
    进 出 停在 堵在 摆在 一个 一条 一家 那个 这个 那条 这条 整个 全是 有个 有人 麻烦 看看 处理 管管""".split()
)
_PLACE_NAME_MAX = 6  # characters before the suffix
_PLACE_BAD_NAMES = frozenset(
    "马 公 道 小 大 街 一 同 走 马路 公路 道路 铁路 小路 大路 老路 进路 出路 过路 山路 水路 路路 这条路 "
    "那条路 一路 半路 上路 街上 满街 上街 沿街 整条街 农村 乡村 本村 我村 全村 进村 出村 同村 "
    "小巷 大巷 老小区 本小区 我小区 进小区 出小区 整个小区 这个小区 那个小区 各小区 在小区".split()
)


@dataclass(frozen=True, slots=True)
class Entity:
    type: str
    text: str
    start: int
    end: int

    def as_dict(self) -> dict[str, object]:
        return {"type": self.type, "text": self.text, "start": self.start, "end": self.end}


class EntityExtractor:
    """Regex extractors plus a character trie of gazetteer place names."""

    def __init__(self, places: Iterable[str] = ()) -> None:
        self._trie: dict[str, Any] = {}
        self.n_places = 0
        self.add_places(places)

    def add_places(self, names: Iterable[str]) -> None:
        for name in names:
            key = name.strip().lower()
            if len(key) < 2:
                continue
            node: dict[str, Any] = self._trie
            for ch in key:
                node = node.setdefault(ch, {})
            if "" not in node:
                self.n_places += 1
            node[""] = key

    def extract(self, norm: Normalized) -> list[Entity]:
        text = norm.text[:MAX_ENTITY_CHARS]
        found: list[tuple[int, int, int, str]] = []  # (priority, start, end, type)
        has_digit = _DIGIT.search(text) is not None
        if has_digit:  # plates and phones have digits; most house numbers too
            for m in PLATE_RE.finditer(text):
                if sum(c.isdigit() for c in m.group()) >= 2:
                    found.append((0, m.start(), m.end(), PLATE))
            for m in PHONE_RE.finditer(text):
                s = m.start() + (1 if text[m.start()] in ":： " else 0)
                found.append((0, s, m.end(), PHONE))
        found += [(1, s, e, PLACE) for s, e in self._gazetteer(text)]
        if has_digit or "座" in text or "栋" in text:
            for m in HOUSE_RE.finditer(text):
                found.append((2, m.start(), m.end(), HOUSE))
        for m in TIME_RE.finditer(text):
            if m.end() > m.start() and not self._bare_chinese_clock(text, m):
                found.append((3, m.start(), m.end(), TIME))
        found += [(4, s, e, PLACE) for s, e in self._place_patterns(text)]
        return self._resolve(norm, found)

    # -- places -----------------------------------------------------------------
    def _gazetteer(self, text: str) -> list[tuple[int, int]]:
        if not self._trie:
            return []
        out: list[tuple[int, int]] = []
        i, n = 0, len(text)
        while i < n:
            node = self._trie
            best = 0
            j = i
            while j < n and text[j] in node:
                node = node[text[j]]
                j += 1
                if "" in node:
                    best = j
            if best:
                out.append((i, best))
                i = best
            else:
                i += 1
        return out

    def _place_patterns(self, text: str) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        last_end = -1  # end of the previous pattern place
        for m in _SUFFIX_RE.finditer(text):
            s, e = m.start(), m.end()
            if e < len(text) and text[e] in "子边上口灯面况线费况":
                # 路灯, 路面, 路边, 街上, 村口 … are not the end of a name
                if not (m.group() in ("路", "街") and text[e] == "口"):
                    continue
            start = s
            lo = max(last_end, 0, s - _PLACE_NAME_MAX)
            while start > lo and _NAME_CHAR.match(text[start - 1]):
                if any(text[max(lo, start - k):start] in _STOP_WORDS for k in (4, 3, 2, 1)):
                    break
                start -= 1
            if start == last_end and start < s and text[start] in "和及":
                start += 1  # 建设路和人民路: a conjunction, not part of the second name
            name = text[start:e]
            if start == s or name in _PLACE_BAD_NAMES or text[start:s] in _PLACE_BAD_NAMES:
                continue
            if text[start:s].isdigit():
                continue
            out.append((start, e))
            last_end = e
        return out

    @staticmethod
    def _bare_chinese_clock(text: str, m: re.Match[str]) -> bool:
        """"一点" / "两点" alone usually means "a little", not a time."""
        if not _CN_CLOCK_ONLY.match(m.group()):
            return False
        tail = text[m.end():m.end() + 2]
        return not tail.startswith(("以后", "之后", "多", "左右", "到", "至", "前", "开始", "就"))

    @staticmethod
    def _resolve(norm: Normalized, found: list[tuple[int, int, int, str]]) -> list[Entity]:
        found.sort(key=lambda f: (f[0], f[1], -(f[2] - f[1])))
        taken: list[tuple[int, int]] = []
        keep: list[tuple[int, int, str]] = []
        for _, s, e, typ in found:
            if any(s < te and ts < e for ts, te in taken):
                continue
            taken.append((s, e))
            keep.append((s, e, typ))
            if len(keep) >= MAX_ENTITIES:
                break
        keep.sort()
        out: list[Entity] = []
        for s, e, typ in keep:
            os_, oe = norm.span(s, e)
            out.append(Entity(typ, norm.original[os_:oe], os_, oe))
        return out
