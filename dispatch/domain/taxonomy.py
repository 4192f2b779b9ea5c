"""The category and intent label set (`taxonomy.yaml` beside this module).

Ids are stable: stored cases, routing rules and exports key on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

UNIT_KINDS: tuple[str, ...] = (
    "law_enforcement",
    "traffic_police",
    "sanitation",
    "municipal",
    "landscaping",
    "environment",
    "market",
    "housing",
    "utilities",
    "community",
)


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    name_zh: str
    name_en: str
    description: str
    unit_kind: str
    sla_hours: float


@dataclass(frozen=True, slots=True)
class Taxonomy:
    categories: tuple[Category, ...]
    intents: tuple[str, ...]

    @property
    def category_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.categories)

    def category(self, category_id: str) -> Category:
        for c in self.categories:
            if c.id == category_id:
                return c
        raise KeyError(category_id)

    def has_category(self, category_id: str) -> bool:
        return any(c.id == category_id for c in self.categories)


def parse_taxonomy(text: str) -> Taxonomy:
    raw = yaml.safe_load(text)
    cats = tuple(
        Category(
            id=str(c["id"]),
            name_zh=str(c["name_zh"]),
            name_en=str(c.get("name_en", "")),
            description=str(c.get("description", "")),
            unit_kind=str(c["unit_kind"]),
            sla_hours=float(c["sla_hours"]),
        )
        for c in raw["categories"]
    )
    intents = tuple(str(i["id"]) for i in raw["intents"])
    for c in cats:
        if c.unit_kind not in UNIT_KINDS:
            raise ValueError(f"category {c.id}: unknown unit_kind {c.unit_kind!r}")
    return Taxonomy(categories=cats, intents=intents)


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    """The taxonomy shipped with the package."""
    text = resources.files("dispatch.domain").joinpath("taxonomy.yaml").read_text(encoding="utf-8")
    return parse_taxonomy(text)
