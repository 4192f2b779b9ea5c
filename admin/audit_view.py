"""The configuration audit log in words: each row's change said in Chinese, with names.

The stored summary (`config_audit.summary`) is the machine's line — setting keys and ids, what
the command line prints. The console says the same change from the row's before / after
documents: 「占道经营」的时限：（未设）→ 3, 负责类别：市容环境、占道经营 → …, the member and unit
names instead of their ids, and imports as counts in words."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import texts
from admin.policy_form import field_zh
from dispatch.db.orm import ConfigAuditRow
from dispatch.db.uow import UnitOfWork
from dispatch.domain.config_diff import MISSING, flatten
from dispatch.service.registry import Registry

IMPORT_KINDS = ("grids", "units", "members")
_IMPORTED = re.compile(r"^imported (.*)$")
_COUNT = re.compile(r"(\w+) (\d+)")


@dataclass(frozen=True)
class AuditEntry:
    row: ConfigAuditRow
    who: str  # the actor in words: 后台 admin, Telegram 张三…
    what: str  # the object: 处置规则, 责任单位「城关执法中队」…
    lines: list[str]  # the change, one setting a line


class _Names:
    """Names for the ids a page of rows mentions (members are read once each)."""

    def __init__(self, registry: Registry, members: dict[str, str]) -> None:
        self.registry, self.members = registry, members

    def unit(self, unit_id: Any) -> str:
        u = self.registry.units.get(str(unit_id))
        return u.name if u else str(unit_id)

    def grid(self, grid_id: Any) -> str:
        known = str(grid_id) in self.registry.tree.by_id
        return self.registry.tree.name(str(grid_id)) if known else str(grid_id)

    def category(self, category_id: Any) -> str:
        return self.registry.category_name(str(category_id))

    def tg(self, tg_id: Any) -> str:
        return self.members.get(f"tg:{tg_id}", str(tg_id))


def _plain(value: Any) -> str:
    if value is MISSING or value is None:
        return texts.AUDIT_NOT_SET_ZH
    if isinstance(value, bool):
        return texts.AUDIT_YES_NO_ZH[value]
    if isinstance(value, list):
        return texts.AUDIT_LIST_SEP_ZH.join(_plain(v) for v in value) or texts.AUDIT_NOT_SET_ZH
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _each(name: Callable[[Any], str]) -> Callable[[Any], str]:
    def show(value: Any) -> str:
        if isinstance(value, list):
            return _plain([name(v) for v in value])
        return _plain(value) if value is MISSING or value is None else name(value)

    return show


def _chat(value: Any) -> str:
    return _plain(value) if value is MISSING or value is None else texts.AUDIT_CHAT_ZH.format(chat_id=value)


def _value_shows(names: _Names) -> dict[str, Callable[[Any], str]]:
    return {
        "categories": _each(names.category),
        "grids": _each(names.grid),
        "units": _each(names.unit),
        "unit": _each(names.unit),
        "roles": _each(lambda r: texts.ROLE_ZH.get(str(r), str(r))),
        "chat_id": _chat,
        "from_chat_id": _chat,
        "to_chat_id": _chat,
        "requested_by": _each(names.tg),
        "state": _each(lambda s: texts.AUDIT_MOVE_STATE_ZH.get(str(s), str(s))),
    }


def _diff(before: Any, after: Any, label: Callable[[str], str], names: _Names) -> list[str]:
    a, b = flatten(before or {}), flatten(after or {})
    shows = _value_shows(names)
    lines = []
    for path in sorted(a.keys() | b.keys()):
        old, new = a.get(path, MISSING), b.get(path, MISSING)
        if old == new:
            continue
        show = shows.get(path.rsplit(".", 1)[-1], _plain)
        lines.append(texts.AUDIT_CHANGE_ZH.format(field=label(path), before=show(old), after=show(new)))
    return lines


def _counts(row: ConfigAuditRow) -> str | None:
    first = (row.summary or "").split("\n", 1)[0]
    m = _IMPORTED.match(first)
    if m is None:
        return None
    parts = [texts.AUDIT_COUNT_ZH[k].format(n=n) if k in texts.AUDIT_COUNT_ZH else f"{k} {n}"
             for k, n in _COUNT.findall(m.group(1))]
    return texts.AUDIT_IMPORT_ZH.format(counts="，".join(parts))


def _import_lines(row: ConfigAuditRow, names: _Names) -> list[str]:
    lines = [line for line in [_counts(row)] if line]
    if row.object_kind != "units" or not isinstance(row.after, dict):
        return lines
    before = row.before if isinstance(row.before, dict) else {}
    for unit_id, doc in row.after.items():
        unit = doc.get("name", unit_id) if isinstance(doc, dict) else unit_id
        if unit_id not in before:
            lines.append(texts.AUDIT_ADDED_ZH.format(what=f"「{unit}」"))
            continue
        lines += _diff(before[unit_id], doc, _unit_field(str(unit)), names)
    return lines


_FIELDS = {
    "unit": texts.AUDIT_UNIT_FIELD_ZH,
    "member": texts.AUDIT_MEMBER_FIELD_ZH,
    "unit_chat": texts.AUDIT_UNIT_FIELD_ZH,
    "unit_chat_move": texts.AUDIT_MOVE_FIELD_ZH,
}


def _unit_field(unit: str) -> Callable[[str], str]:
    fields = texts.AUDIT_UNIT_FIELD_ZH
    return lambda path: texts.AUDIT_UNIT_OF_ZH.format(unit=unit, field=fields.get(path, path))


def _lines(row: ConfigAuditRow, names: _Names) -> list[str]:
    kind = row.object_kind
    if kind in IMPORT_KINDS:
        return _import_lines(row, names)
    if kind == "policy":
        return _diff(row.before, row.after, lambda p: field_zh(p, names.registry), names)
    fields = _FIELDS.get(kind, {})
    return _diff(row.before, row.after, lambda p: fields.get(p, p), names)


def _who(row: ConfigAuditRow, names: _Names) -> str:
    kind = texts.AUDIT_ACTOR_ZH.get(row.actor_kind, row.actor_kind)
    name = names.tg(row.actor) if row.actor_kind == "telegram" else row.actor
    return f"{kind} {name}"


def _what(row: ConfigAuditRow, names: _Names, member_names: dict[str, str]) -> str:
    kind = texts.AUDIT_OBJECT_ZH.get(row.object_kind, row.object_kind)
    if row.object_kind == "unit":
        return f"{kind}「{names.unit(row.object_id)}」"
    if row.object_kind == "member":
        return f"{kind}「{member_names.get(row.object_id, row.object_id)}」"
    if row.object_kind == "unit_chat_move" and isinstance(row.after, dict):
        return f"{kind}「{names.unit(row.after.get('unit'))}」"
    return kind


async def entries(uow: UnitOfWork, registry: Registry, rows: list[ConfigAuditRow]) -> list[AuditEntry]:
    """The rows of a page, said in Chinese."""
    tg_ids: set[int] = set()
    member_ids: set[int] = set()
    for r in rows:
        if r.actor_kind == "telegram" and r.actor.isdigit():
            tg_ids.add(int(r.actor))
        for doc in (r.before, r.after):
            if isinstance(doc, dict) and str(doc.get("requested_by", "")).isdigit():
                tg_ids.add(int(doc["requested_by"]))
        if r.object_kind == "member" and r.object_id.isdigit():
            member_ids.add(int(r.object_id))
    people: dict[str, str] = {}
    by_id: dict[str, str] = {}
    async with uow:
        for tg in tg_ids:
            m = await uow.members.by_tg(tg)
            if m is not None:
                people[f"tg:{tg}"] = m.name
        for member_id in member_ids:
            m = await uow.members.get(member_id)
            if m is not None:
                by_id[str(member_id)] = m.name
    names = _Names(registry, people)
    return [AuditEntry(r, _who(r, names), _what(r, names, by_id), _lines(r, names)) for r in rows]
