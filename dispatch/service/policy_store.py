"""The closed-loop policy in the database: one JSON document with its own version.

`save_policy_doc` validates a whole document against the taxonomy and the stored units,
then writes it, an audit row and a configuration-version bump in one transaction — or
nothing at all."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.db.orm import ConfigStateRow
from dispatch.db.uow import UnitOfWork
from dispatch.domain.errors import DomainError
from dispatch.domain.policy import Policy, parse_policy, policy_to_doc
from dispatch.domain.taxonomy import Taxonomy, load_taxonomy
from dispatch.service import config_log
from dispatch.service.config_log import AuditActor

log = logging.getLogger(__name__)
POLICY = "policy"


class PolicyConflict(DomainError):
    """The policy was changed by someone else since it was read."""


@dataclass(frozen=True)
class StoredPolicy:
    policy: Policy
    doc: dict[str, Any] | None  # as stored; None: never configured (all defaults)
    version: int  # the policy's own counter: the console's conflict check
    config_version: int = 0  # the configuration version of its last change (as in the audit log)


async def read_policy(session: AsyncSession) -> StoredPolicy:
    """The stored policy. A stored document that no longer parses (it was valid when saved)
    is logged and replaced by the defaults rather than stopping the process."""
    row = (
        await session.execute(
            select(ConfigStateRow.doc, ConfigStateRow.version).where(ConfigStateRow.name == POLICY)
        )
    ).first()
    if row is None or row.doc is None:
        return StoredPolicy(Policy(), None, int(row.version) if row else 0)
    try:
        policy = parse_policy(row.doc)
    except DomainError:
        log.exception("stored policy version %s is invalid; using the defaults", row.version)
        policy = Policy()
    return StoredPolicy(policy, dict(row.doc), int(row.version))


async def save_policy_doc(
    uow: UnitOfWork,
    doc: Any,
    actor: AuditActor,
    now: datetime,
    *,
    expected_version: int | None = None,
    taxonomy: Taxonomy | None = None,
) -> StoredPolicy:
    """Validate `doc` (whole, replacing the stored policy) and store it. Raises PolicyError
    (bad input) or PolicyConflict (`expected_version` is no longer current)."""
    taxonomy = taxonomy or load_taxonomy()
    async with uow:
        unit_ids = {u.id for u in await uow.units.all()}
        policy = parse_policy(doc, categories=taxonomy.category_ids, units=unit_ids)
        current = await read_policy(uow.session)
        if expected_version is not None and current.version != expected_version:
            raise PolicyConflict(f"the policy changed meanwhile (version {current.version})")
        after = policy_to_doc(policy)
        before = current.doc if current.doc is not None else policy_to_doc(Policy())
        if after == before and current.doc is not None:
            return current  # nothing changes: no new version, no audit row
        result = await uow.session.execute(
            update(ConfigStateRow)
            .where(ConfigStateRow.name == POLICY, ConfigStateRow.version == current.version)
            .values(version=current.version + 1, doc=after, updated_at=now, updated_by=actor.label)
        )
        if getattr(result, "rowcount", 0) == 0:
            if current.version != 0:
                raise PolicyConflict("the policy changed meanwhile")
            uow.session.add(
                ConfigStateRow(name=POLICY, version=1, doc=after, updated_at=now, updated_by=actor.label)
            )
        config_version = await config_log.record(uow.session, now, actor, POLICY, POLICY, before, after)
        await uow.commit()
    return StoredPolicy(policy, after, current.version + 1, config_version)
