"""Importing grids, units and members: validate everything, then write in one transaction
(with an audit row and a configuration-version bump, so running processes reload)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dispatch.db.uow import UnitOfWork
from dispatch.domain.config_diff import diff_lines
from dispatch.domain.errors import ImportErrorLine
from dispatch.domain.grid_import import parse_features, validate_hierarchy
from dispatch.domain.grids import GridTree
from dispatch.domain.members import MAX_REF, Member, check_member, telegram_ref
from dispatch.domain.routing import RoutingTable
from dispatch.domain.taxonomy import UNIT_KINDS, load_taxonomy
from dispatch.domain.unit_import import parse_units
from dispatch.service import config_log
from dispatch.service.config_log import AuditActor


async def import_grids(
    uow: UnitOfWork, doc: Any, now: datetime, actor: AuditActor | None = None
) -> dict[str, int]:
    grids = parse_features(doc)
    async with uow:
        existing = {g.id: g for g in await uow.grids.all()}
        validate_hierarchy(grids, existing)
        # Units must still point at known grids (they cannot: we only add or update).
        await uow.grids.upsert_many(grids, now)
        created = sum(1 for g in grids if g.id not in existing)
        by_level: dict[str, int] = {}
        for g in grids:
            by_level[f"level{g.level}"] = by_level.get(f"level{g.level}", 0) + 1
        counts = {"grids": len(grids), "created": created, "updated": len(grids) - created, **by_level}
        await _audit(uow, now, actor, "grids", counts)
        await uow.commit()
    return counts


async def _audit(
    uow: UnitOfWork,
    now: datetime,
    actor: AuditActor | None,
    kind: str,
    counts: dict[str, int],
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    summary = "imported " + ", ".join(f"{k} {v}" for k, v in counts.items())
    if before is not None or after is not None:
        before, after = before or {}, after or {}
        added = [f"{key}: added" for key in after if key not in before]
        changed = diff_lines(before, {k: v for k, v in after.items() if k in before})
        summary = "\n".join([summary, *added, *changed])
    await config_log.record(
        uow.session,
        now,
        actor or AuditActor.cli(),
        kind,
        "",
        before,
        after if after is not None else dict(counts),
        summary,
    )


async def import_units(
    uow: UnitOfWork, doc: Any, now: datetime, actor: AuditActor | None = None
) -> dict[str, int]:
    taxonomy = load_taxonomy()
    units = parse_units(doc, taxonomy.category_ids, UNIT_KINDS)
    async with uow:
        grids = await uow.grids.all()
        if not grids:
            raise ImportErrorLine("no grids in the database: run `gridbot grids import` first")
        tree = GridTree(grids)
        stored = {u.id: u for u in await uow.units.all()}
        merged = {**stored, **{u.id: u for u in units}}
        RoutingTable(merged.values()).check(tree)
        await uow.units.upsert_many(units, now)
        created = sum(1 for u in units if u.id not in stored)
        counts = {"units": len(units), "created": created, "updated": len(units) - created}
        changed = [u for u in units if stored.get(u.id) != u]
        before = {u.id: config_log.unit_doc(stored[u.id]) for u in changed if u.id in stored}
        after = {u.id: config_log.unit_doc(u) for u in changed}
        await _audit(uow, now, actor, "units", counts, before, after)
        await uow.commit()
    return counts


def parse_members(doc: Any) -> list[Member]:
    """People from a members file: each has a stable `id` (a string) or a Telegram id
    (`tg_id`), or both; one made from the Telegram id (`tg-<id>`) when only that is given.
    This checks the file's shape; what a member may be is `check_member`'s call (also the
    console's)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("members"), list):
        raise ImportErrorLine("expected a mapping with a 'members' list")
    out: list[Member] = []
    seen_tg: set[int] = set()
    seen_ref: set[str] = set()
    for i, raw in enumerate(doc["members"]):
        where = f"member #{i + 1}"
        if not isinstance(raw, dict):
            raise ImportErrorLine(f"{where}: expected a mapping")
        tg_id = raw.get("tg_id")
        ref = raw.get("id")
        if tg_id is None and ref is None:
            raise ImportErrorLine(f"{where}: needs an id or a tg_id")
        if tg_id is not None and (not isinstance(tg_id, int) or isinstance(tg_id, bool) or tg_id <= 0):
            raise ImportErrorLine(f"{where}: tg_id must be a positive integer")
        if ref is not None:
            if isinstance(ref, bool) or not isinstance(ref, str | int):
                raise ImportErrorLine(f"{where}: id must be a string")
            ref = str(ref).strip()
            if not ref or len(ref) > MAX_REF or any(ch.isspace() for ch in ref):
                raise ImportErrorLine(f"{where}: id must be 1–{MAX_REF} characters without spaces")
        if not ref:
            assert tg_id is not None
            ref = telegram_ref(tg_id)
        where = f"member {ref}"
        if tg_id is not None:
            if tg_id in seen_tg:
                raise ImportErrorLine(f"duplicate member tg_id {tg_id}")
            seen_tg.add(tg_id)
        if ref in seen_ref:
            raise ImportErrorLine(f"duplicate member id {ref}")
        seen_ref.add(ref)
        defaults: dict[str, list[str]] = {"roles": ["resident"], "grids": [], "units": []}
        lists = {key: raw.get(key) or default for key, default in defaults.items()}
        for key, value in lists.items():
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ImportErrorLine(f"{where}: {key} must be a list of ids")
        out.append(
            Member(
                ref=ref,
                tg_id=tg_id,
                name=str(raw.get("name") or ref),
                roles=set(lists["roles"]),
                grids=set(lists["grids"]),
                units=set(lists["units"]),
                phone=raw.get("phone"),
            )
        )
    return out


async def import_members(
    uow: UnitOfWork, doc: Any, now: datetime, actor: AuditActor | None = None
) -> dict[str, int]:
    """All or nothing: every member is checked (`check_member`) before any is saved."""
    members = parse_members(doc)
    async with uow:
        grid_ids = {g.id for g in await uow.grids.all()}
        unit_ids = {u.id for u in await uow.units.all()}
        members = [check_member(m, grid_ids, unit_ids) for m in members]
        for m in members:
            await uow.members.save(m, now)
        await _audit(uow, now, actor, "members", {"members": len(members)})
        await uow.commit()
    return {"members": len(members)}
