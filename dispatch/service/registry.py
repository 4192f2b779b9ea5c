"""Reference data in memory: grids, gazetteer, units, routing table, time limits.

Loaded once at start-up and after each import; every routing decision reads it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dispatch.domain.gazetteer import Gazetteer
from dispatch.domain.grids import GridTree
from dispatch.domain.routing import RoutingTable, Unit
from dispatch.domain.sla import SlaPolicy
from gridbot.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:
    from dispatch.adapters.uow import UnitOfWork


@dataclass
class Registry:
    taxonomy: Taxonomy
    tree: GridTree
    units: dict[str, Unit]
    table: RoutingTable
    sla: SlaPolicy
    dispatch_chat_id: int | None = None  # the dispatchers' Telegram group (调度群), if any
    gazetteer: Gazetteer = field(init=False)

    def __post_init__(self) -> None:
        self.gazetteer = Gazetteer(self.tree)

    @classmethod
    def build(
        cls, grids: list, units: list[Unit], taxonomy: Taxonomy | None = None, sla: SlaPolicy | None = None
    ) -> Registry:
        taxonomy = taxonomy or load_taxonomy()
        return cls(
            taxonomy=taxonomy,
            tree=GridTree(grids),
            units={u.id: u for u in units},
            table=RoutingTable(units),
            sla=sla or SlaPolicy({c.id: c.sla_hours for c in taxonomy.categories}),
        )

    def category_name(self, category_id: str) -> str:
        try:
            return self.taxonomy.category(category_id).name_zh
        except KeyError:
            return category_id

    def unit_name(self, unit_id: str | None) -> str:
        unit = self.units.get(unit_id or "")
        return unit.name if unit else "未分派"


async def load_registry(uow: UnitOfWork, taxonomy: Taxonomy | None = None) -> Registry:
    async with uow:
        grids = await uow.grids.all()
        units = await uow.units.all()
    return Registry.build(grids, units, taxonomy)
