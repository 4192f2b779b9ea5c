"""Reference data in memory: grids, gazetteer, units, routing table, the closed-loop policy
and the time limits built from it.

Loaded once at start-up and whenever the configuration version moves; every routing
decision reads it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dispatch.domain.gazetteer import Gazetteer
from dispatch.domain.grids import GridTree
from dispatch.domain.policy import Policy
from dispatch.domain.routing import RoutingTable, Unit
from dispatch.domain.sla import SlaPolicy
from dispatch.domain.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:
    from dispatch.db.uow import UnitOfWork

DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass
class Registry:
    taxonomy: Taxonomy
    tree: GridTree
    units: dict[str, Unit]
    table: RoutingTable
    sla: SlaPolicy
    dispatch_chat_id: int | None = None  # the dispatchers' Telegram group (调度群), if any
    # Deadlines (reminders, 督办), 核查, default rating, duplicates: see dispatch/domain/policy.py.
    policy: Policy = field(default_factory=Policy)
    config_version: int = 0  # the configuration version this registry was loaded at
    policy_version: int = 0
    gazetteer: Gazetteer = field(init=False)

    def __post_init__(self) -> None:
        self.gazetteer = Gazetteer(self.tree)

    @classmethod
    def build(
        cls,
        grids: list,
        units: list[Unit],
        taxonomy: Taxonomy | None = None,
        sla: SlaPolicy | None = None,
        policy: Policy | None = None,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> Registry:
        taxonomy = taxonomy or load_taxonomy()
        policy = policy or Policy()
        return cls(
            taxonomy=taxonomy,
            tree=GridTree(grids),
            units={u.id: u for u in units},
            table=RoutingTable(units),
            sla=sla or policy.sla(taxonomy_hours(taxonomy), ZoneInfo(timezone)),
            policy=policy,
        )

    def category_name(self, category_id: str) -> str:
        try:
            return self.taxonomy.category(category_id).name_zh
        except KeyError:
            return category_id

    def unit_name(self, unit_id: str | None) -> str:
        unit = self.units.get(unit_id or "")
        return unit.name if unit else "未分派"


def taxonomy_hours(taxonomy: Taxonomy) -> dict[str, float]:
    return {c.id: c.sla_hours for c in taxonomy.categories}


async def load_registry(
    uow: UnitOfWork, taxonomy: Taxonomy | None = None, timezone: str = DEFAULT_TIMEZONE
) -> Registry:
    from dispatch.service import config_log, policy_store

    async with uow:
        # The version first: what follows is at least that new, so a change committed
        # meanwhile is never missed (at worst it is loaded twice).
        version = await config_log.current_version(uow.session)
        stored = await policy_store.read_policy(uow.session)
        grids = await uow.grids.all()
        units = await uow.units.all()
    registry = Registry.build(grids, units, taxonomy, policy=stored.policy, timezone=timezone)
    registry.config_version = version
    registry.policy_version = stored.version
    return registry
