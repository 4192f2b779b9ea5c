"""The configuration version and the audit log.

Every configuration change (the policy, units, members, grids, a group binding) writes one
audit row and bumps the version counter, in the transaction of the change. Long-running
processes compare the counter (one primary-key read) with the version they loaded and
reload when it moved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.db.orm import ConfigAuditRow, ConfigStateRow
from dispatch.domain.config_diff import diff_lines
from dispatch.domain.members import Member
from dispatch.domain.routing import Unit

CONFIG = "config"
MAX_SUMMARY_LINES = 60


@dataclass(frozen=True)
class AuditActor:
    kind: str  # admin (a console account) / cli / telegram / system
    name: str

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"[:128]

    @classmethod
    def cli(cls) -> AuditActor:
        """Whoever runs the command line (the OS account)."""
        import getpass

        try:
            user = getpass.getuser()
        except Exception:  # no login name in a container
            user = "unknown"
        return cls("cli", user)


async def current_version(session: AsyncSession) -> int:
    version = await session.scalar(select(ConfigStateRow.version).where(ConfigStateRow.name == CONFIG))
    return int(version or 0)


async def bump(session: AsyncSession, now: datetime, actor: AuditActor) -> int:
    """Increment the configuration version; returns the new one."""
    result = await session.execute(
        update(ConfigStateRow)
        .where(ConfigStateRow.name == CONFIG)
        .values(version=ConfigStateRow.version + 1, updated_at=now, updated_by=actor.label)
    )
    if getattr(result, "rowcount", 0) == 0:  # a schema made without the migration's seed rows
        session.add(ConfigStateRow(name=CONFIG, version=1, updated_at=now, updated_by=actor.label))
        await session.flush()
        return 1
    return await current_version(session)


async def record(
    session: AsyncSession,
    now: datetime,
    actor: AuditActor,
    object_kind: str,
    object_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    summary: str | None = None,
) -> int:
    """One audit row (with a readable diff unless `summary` is given) and a version bump."""
    version = await bump(session, now, actor)
    if summary is None:
        summary = "\n".join(diff_lines(before, after))
    lines = summary.splitlines()
    if len(lines) > MAX_SUMMARY_LINES:  # the whole change is in before/after
        more = len(lines) - MAX_SUMMARY_LINES
        summary = "\n".join([*lines[:MAX_SUMMARY_LINES], f"… {more} more"])
    session.add(
        ConfigAuditRow(
            at=now,
            actor_kind=actor.kind[:16],
            actor=actor.name[:128],
            object_kind=object_kind[:32],
            object_id=object_id[:128],
            before=before,
            after=after,
            summary=summary,
            config_version=version,
        )
    )
    return version


async def last_version(session: AsyncSession, object_kind: str, object_id: str) -> int | None:
    """The configuration version of the last audited change of one object (None: never changed)."""
    version = await session.scalar(
        select(func.max(ConfigAuditRow.config_version)).where(
            ConfigAuditRow.object_kind == object_kind, ConfigAuditRow.object_id == object_id
        )
    )
    return None if version is None else int(version)


async def entries(session: AsyncSession, offset: int, limit: int) -> tuple[list[ConfigAuditRow], int]:
    """A page of the audit log, newest first, and the number of entries."""
    total = await session.scalar(select(func.count()).select_from(ConfigAuditRow))
    rows = (
        await session.scalars(
            select(ConfigAuditRow).order_by(ConfigAuditRow.id.desc()).offset(offset).limit(limit)
        )
    ).all()
    return list(rows), int(total or 0)


def unit_doc(unit: Unit) -> dict[str, Any]:
    return {
        "name": unit.name,
        "kind": unit.kind,
        "chat_id": unit.chat_id,
        "active": unit.active,
        "categories": sorted(unit.categories),
        "grids": list(unit.grids),
    }


def member_doc(member: Member) -> dict[str, Any]:
    return {
        "id": member.ref,
        "name": member.name,
        "tg_id": member.tg_id,
        "roles": sorted(member.roles),
        "grids": sorted(member.grids),
        "units": sorted(member.units),
    }
