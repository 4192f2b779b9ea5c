"""Parse and validate the units YAML of interfaces.md."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from dispatch.domain.errors import ImportErrorLine
from dispatch.domain.routing import CATCH_ALL, Unit


def parse_units(doc: Any, category_ids: Collection[str], unit_kinds: Collection[str]) -> list[Unit]:
    if not isinstance(doc, dict) or not isinstance(doc.get("units"), list):
        raise ImportErrorLine("expected a mapping with a 'units' list")
    units: list[Unit] = []
    seen: set[str] = set()
    for i, raw in enumerate(doc["units"]):
        where = f"unit #{i + 1}"
        if not isinstance(raw, dict):
            raise ImportErrorLine(f"{where}: expected a mapping")
        uid = raw.get("id")
        if not isinstance(uid, str) or not uid.strip():
            raise ImportErrorLine(f"{where}: id must be a non-empty string")
        uid = uid.strip()
        where = f"unit {uid!r}"
        if uid in seen:
            raise ImportErrorLine(f"duplicate unit id {uid!r}")
        seen.add(uid)
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ImportErrorLine(f"{where}: name must be a non-empty string")
        kind = raw.get("kind")
        if kind not in unit_kinds:
            raise ImportErrorLine(f"{where}: unknown unit kind {kind!r}")
        cats = raw.get("categories")
        if not isinstance(cats, list) or not cats or not all(isinstance(c, str) for c in cats):
            raise ImportErrorLine(f'{where}: categories must be a non-empty list of category ids or "*"')
        for c in cats:
            if c != CATCH_ALL and c not in category_ids:
                raise ImportErrorLine(f"{where}: unknown category {c!r}")
        grids = raw.get("grids")
        if not isinstance(grids, list) or not grids or not all(isinstance(g, str) and g for g in grids):
            raise ImportErrorLine(f"{where}: grids must be a non-empty list of grid ids")
        if len(set(grids)) != len(grids):
            raise ImportErrorLine(f"{where}: a grid is listed twice")
        chat_id = raw.get("chat_id")
        if chat_id is not None and (not isinstance(chat_id, int) or isinstance(chat_id, bool)):
            raise ImportErrorLine(f"{where}: chat_id must be an integer Telegram chat id")
        units.append(
            Unit(
                id=uid,
                name=name.strip(),
                kind=str(kind),
                categories=frozenset(cats),
                grids=tuple(grids),
                chat_id=chat_id,
                active=bool(raw.get("active", True)),
            )
        )
    if not units:
        raise ImportErrorLine("the units list is empty")
    return units
