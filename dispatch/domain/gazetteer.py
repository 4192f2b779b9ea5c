"""The gazetteer: place names in typed text → a grid (and a point when known)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dispatch.domain.grids import GridTree, Place

MIN_NAME_LEN = 2
# Bare place-type words name no place: "大道" alone must not match "火星大道".
GENERIC_NAMES = frozenset(
    "大道 大街 马路 广场 公园 市场 菜场 菜市场 小区 社区 医院 学校 小学 中学 车站 桥 路口 村 街道".split()
)
MIN_STEM_LEN = 3  # a name cut down to its stem must stay this long to be kept

# How people shorten or vary generic endings: "解放路菜市场" → "解放路菜场".
SUFFIX_VARIANTS: dict[str, tuple[str, ...]] = {
    "农贸市场": ("菜市场", "市场", "农贸"),
    "菜市场": ("菜场", "市场"),
    "小区": ("",),
    "花园小区": ("花园",),
    "社区": ("",),
    "公园": ("",),
    "广场": ("",),
}
CN_DIGITS = "零一二三四五六七八九"
GRID_NUMBER_RE = re.compile(r"第(\d{1,2})网格$")


def _cn_number(n: int) -> str:
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("十" if tens == 1 else CN_DIGITS[tens] + "十") + (CN_DIGITS[ones] if ones else "")


def name_variants(name: str) -> list[str]:
    """Other ways people write a place or grid name."""
    out: list[str] = []
    for suffix, alternatives in SUFFIX_VARIANTS.items():
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            for alt in alternatives:
                variant = stem + alt
                if len(stem) >= (MIN_STEM_LEN if not alt else MIN_NAME_LEN) and variant != name:
                    out.append(variant)
            break
    m = GRID_NUMBER_RE.search(name)
    if m:
        stem, n = name[: m.start()], int(m.group(1))
        out += [f"{stem}第{_cn_number(n)}网格", f"{stem}{n}网格", f"{stem}{_cn_number(n)}网格"]
    return out


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    name: str  # the text as it appears
    start: int
    end: int
    places: tuple[Place, ...]  # every place (or grid) that name stands for


@dataclass(frozen=True, slots=True)
class Resolution:
    grid_id: str
    place: str  # the name that decided
    lon: float | None = None
    lat: float | None = None


class Gazetteer:
    """A character trie over place names, aliases and grid names."""

    def __init__(self, tree: GridTree) -> None:
        self.tree = tree
        self._trie: dict[str, Any] = {}
        self.names: dict[str, list[Place]] = {}
        explicit: list[tuple[Place, str]] = []
        for grid in tree.by_id.values():
            explicit.append((Place(name=grid.name, grid_id=grid.id, kind="grid"), grid.name))
            for place in grid.places:
                explicit.append((place, place.name))
                explicit += [(place, alias) for alias in place.aliases]
        for place, name in explicit:
            self._add(place, name)
        # Variants only where they do not shadow a name someone wrote down.
        taken = set(self.names)
        for place, name in explicit:
            for variant in name_variants(name):
                if variant not in taken:
                    self._add(place, variant)

    def _add(self, place: Place, name: str) -> None:
        name = name.strip()
        if len(name) < MIN_NAME_LEN or name in GENERIC_NAMES:
            return
        self.names.setdefault(name, []).append(place)
        node: dict[str, Any] = self._trie
        for ch in name:
            node = node.setdefault(ch, {})
        node[""] = name  # terminal marker

    def all_names(self) -> list[str]:
        return list(self.names)

    def find(self, text: str) -> list[PlaceMatch]:
        """Longest non-overlapping matches, left to right."""
        matches: list[PlaceMatch] = []
        i, n = 0, len(text)
        while i < n:
            node: dict[str, Any] = self._trie
            best: str | None = None
            j = i
            while j < n and text[j] in node:
                node = node[text[j]]
                j += 1
                if "" in node:
                    best = node[""]
            if best is None:
                i += 1
                continue
            matches.append(PlaceMatch(best, i, i + len(best), tuple(self.names[best])))
            i += len(best)
        return matches

    def resolve(self, text: str) -> Resolution | None:
        """The most specific grid the text's place names point to.

        Names that stand for several grids (a long road) narrow each other down
        ("解放路与人民路交叉口"); what stays ambiguous goes to the common ancestor."""
        matches = self.find(text)
        if not matches:
            return None
        # Most specific first: a name naming fewer grids, then a longer name.
        ranked = sorted(matches, key=lambda m: (len({p.grid_id for p in m.places}), -len(m.name)))
        best = ranked[0]
        candidates = {p.grid_id for p in best.places}
        for other in ranked[1:]:
            narrowed = self._narrow(candidates, other.places)
            if narrowed:
                candidates = narrowed
        grid_id = self._deepest_single(candidates)
        if grid_id is None:
            return None
        point = next(
            (p for p in best.places if p.grid_id == grid_id and p.lon is not None),
            None,
        )
        return Resolution(
            grid_id=grid_id,
            place=best.name,
            lon=point.lon if point else None,
            lat=point.lat if point else None,
        )

    def meanings(self, text: str) -> list[str]:
        """The places the text's deciding place name may mean, when it may mean more than one:
        a short name that is also the end of other places' names ("夜市": 五一路夜市 and 五丰
        夜市). Each by its own name; [] when the text names one place (or none). Other names in
        the text narrow the choice ("五丰的夜市")."""
        matches = self.find(text)
        if not matches:
            return []
        ranked = sorted(matches, key=lambda m: (len({p.grid_id for p in m.places}), -len(m.name)))
        best = ranked[0]
        options: dict[str, set[str]] = {}
        for name, places in self.names.items():
            if name == best.name or (len(name) > len(best.name) and name.endswith(best.name)):
                for p in places:
                    if p.kind != "grid":
                        options.setdefault(p.name, set()).add(p.grid_id)
        for other in matches:
            if other is best:
                continue
            narrowed = {n: g for n, g in options.items() if self._narrow(g, other.places)}
            if narrowed:
                options = narrowed
        return sorted(options) if len(options) > 1 else []

    def _narrow(self, candidates: set[str], places: Iterable[Place]) -> set[str]:
        """Keep candidates that lie within (or contain) one of `places`' grids."""
        other = {p.grid_id for p in places}
        out: set[str] = set()
        for c in candidates:
            for o in other:
                if self.tree.is_within(c, o):
                    out.add(c)
                elif self.tree.is_within(o, c):
                    out.add(o)
        return out

    def _deepest_single(self, candidates: set[str]) -> str | None:
        ids = sorted(candidates)
        if len(ids) == 1:
            return ids[0]
        return self.tree.lowest_common_ancestor(ids)
