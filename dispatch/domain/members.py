"""Members (a Telegram user with roles) and who may do what to a case."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from dispatch.domain.case import Case
from dispatch.domain.errors import NotAuthorised
from dispatch.domain.grids import GridTree


class Role(StrEnum):
    RESIDENT = "resident"
    GRID_WORKER = "grid_worker"
    UNIT_MEMBER = "unit_member"
    DISPATCHER = "dispatcher"
    ADMIN = "admin"


ROLES: frozenset[str] = frozenset(r.value for r in Role)


@dataclass(slots=True)
class Member:
    tg_id: int
    name: str
    roles: set[str] = field(default_factory=lambda: {Role.RESIDENT.value})
    grids: set[str] = field(default_factory=set)  # a grid worker's grids
    units: set[str] = field(default_factory=set)  # a unit member's units
    id: int | None = None
    phone: str | None = None
    blocked: bool = False  # the user blocked the bot (403)

    def has(self, role: Role) -> bool:
        return role.value in self.roles

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & {Role.DISPATCHER.value, Role.ADMIN.value})

    @property
    def reporter_role(self) -> str:
        """The role a report counts under (主动发现率 counts grid workers' reports)."""
        return Role.GRID_WORKER.value if self.has(Role.GRID_WORKER) else Role.RESIDENT.value

    def covers_grid(self, tree: GridTree, grid_id: str | None) -> bool:
        return grids_cover(tree, self.grids, grid_id)


def grids_cover(tree: GridTree, grids: Iterable[str], grid_id: str | None) -> bool:
    """Whether a grid worker of `grids` covers `grid_id` (it is one of them or inside one)."""
    if grid_id is None or grid_id not in tree:
        return False
    return any(tree.is_within(grid_id, g) for g in grids)


def ensure_unit_member(member: Member, case: Case) -> None:
    """Only a member of the case's unit may accept, return or resolve it."""
    if case.unit_id is None or case.unit_id not in member.units:
        raise NotAuthorised(f"member {member.tg_id} is not in unit {case.unit_id!r}")


def ensure_grid_worker(member: Member, case: Case, tree: GridTree) -> None:
    """Only a grid worker of the case's grid (or a grid above it) may verify."""
    if not (member.has(Role.GRID_WORKER) and member.covers_grid(tree, case.grid_id)):
        raise NotAuthorised(f"member {member.tg_id} is not a grid worker of {case.grid_id!r}")


def ensure_reporter(member: Member, case: Case) -> None:
    if case.reporter_id is None or case.reporter_id != member.id:
        raise NotAuthorised(f"member {member.tg_id} did not report case {case.number}")


def ensure_staff(member: Member) -> None:
    if not member.is_staff:
        raise NotAuthorised(f"member {member.tg_id} is not a dispatcher or admin")
