"""Members (people with roles) and who may do what to a case.

A member is a person with a stable id (`ref`: a string given in the members file, or made
from the Telegram id, `tg-<id>`, for someone who first wrote to the bot). A Telegram id is one
optional attribute: a hotline caller, an Open311 client or a console account may have none."""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

import texts
from dispatch.domain.case import Case
from dispatch.domain.errors import ImportErrorLine, NotAuthorised
from dispatch.domain.grids import GridTree


class Role(StrEnum):
    RESIDENT = "resident"
    GRID_WORKER = "grid_worker"  # 专职 or 专业网格员
    GRID_LEADER = "grid_leader"  # 网格长, with grids
    UNIT_MEMBER = "unit_member"
    DISPATCHER = "dispatcher"
    ADMIN = "admin"


ROLES: frozenset[str] = frozenset(r.value for r in Role)
# The role a member's report counts under, first held first.
REPORTER_ROLES = (Role.GRID_WORKER, Role.GRID_LEADER, Role.UNIT_MEMBER, Role.DISPATCHER, Role.ADMIN)


MAX_REF = 64
STAFF_ROLES = frozenset({Role.DISPATCHER.value, Role.ADMIN.value})


def telegram_ref(tg_id: int) -> str:
    """The stable id of a person known only by their Telegram id."""
    return f"tg-{tg_id}"


@dataclass(slots=True)
class Member:
    tg_id: int | None
    name: str
    roles: set[str] = field(default_factory=lambda: {Role.RESIDENT.value})
    grids: set[str] = field(default_factory=set)  # a grid worker's or grid leader's grids
    units: set[str] = field(default_factory=set)  # a unit member's units
    id: int | None = None  # the database row
    phone: str | None = None
    blocked: bool = False  # the user blocked the bot (403)
    ref: str = ""  # the stable id; "" = made from the Telegram id

    def __post_init__(self) -> None:
        if not self.ref:
            if self.tg_id is None:
                raise ValueError("a member needs an id or a Telegram id")
            self.ref = telegram_ref(self.tg_id)

    def has(self, role: Role) -> bool:
        return role.value in self.roles

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @property
    def reporter_role(self) -> str:
        """The role a report counts under: 主动发现率 counts the reports of grid workers (专职 and
        专业网格员), grid leaders, unit staff, dispatchers; points go to grid workers."""
        for role in REPORTER_ROLES:
            if self.has(role):
                return role.value
        return Role.RESIDENT.value

    def covers_grid(self, tree: GridTree, grid_id: str | None) -> bool:
        return grids_cover(tree, self.grids, grid_id)


MAX_TG_ID = 2**52 - 1  # Telegram user ids have at most 52 significant bits


class MemberInvalid(ImportErrorLine):
    """A member refused by `check_member`; the message names the person."""


def check_member(member: Member, known_grids: Container[str], known_units: Container[str]) -> Member:
    """The one validation of a member's Telegram id, roles and scopes — for the members import
    and the console's member editing alike. Returns the member with the scopes its roles do
    not use dropped (grids without the grid-worker or grid-leader role, units without the
    unit-member role)."""
    t = texts.MEMBER_INVALID
    who = t["who"].format(name=member.name, ref=member.ref)

    def invalid(key: str, **kw: object) -> MemberInvalid:
        return MemberInvalid(who + t[key].format(**kw))

    tg_id = member.tg_id
    if tg_id is not None and (not isinstance(tg_id, int) or isinstance(tg_id, bool)
                              or not 0 < tg_id <= MAX_TG_ID):
        raise invalid("tg_id", max=MAX_TG_ID)
    roles = member.roles
    if not roles:
        raise invalid("no_roles")
    if bad := sorted(r for r in roles if r not in ROLES):
        raise invalid("unknown_role", ids="、".join(map(str, bad)))
    with_grids = roles & {Role.GRID_WORKER.value, Role.GRID_LEADER.value}
    grids = set(member.grids) if with_grids else set()
    units = set(member.units) if Role.UNIT_MEMBER.value in roles else set()
    if bad := sorted(g for g in grids if g not in known_grids):
        raise invalid("unknown_grid", ids="、".join(map(str, bad)))
    if bad := sorted(u for u in units if u not in known_units):
        raise invalid("unknown_unit", ids="、".join(map(str, bad)))
    if with_grids and not grids:
        raise invalid("needs_grid", role="、".join(texts.ROLE_ZH.get(r, r) for r in sorted(with_grids)))
    if Role.UNIT_MEMBER.value in roles and not units:
        raise invalid("member_needs_unit")
    return replace(member, roles=set(member.roles), grids=grids, units=units)


def grids_cover(tree: GridTree, grids: Iterable[str], grid_id: str | None) -> bool:
    """Whether a grid worker of `grids` covers `grid_id` (it is one of them or inside one)."""
    if grid_id is None or grid_id not in tree:
        return False
    return any(tree.is_within(grid_id, g) for g in grids)


def ensure_unit_member(member: Member, case: Case) -> None:
    """Only a member of the case's unit may accept, return or resolve it."""
    if case.unit_id is None or case.unit_id not in member.units:
        raise NotAuthorised(f"member {member.ref} is not in unit {case.unit_id!r}")


def ensure_grid_worker(member: Member, case: Case, tree: GridTree) -> None:
    """Only a grid worker of the case's grid (or a grid above it) may verify."""
    if not (member.has(Role.GRID_WORKER) and member.covers_grid(tree, case.grid_id)):
        raise NotAuthorised(f"member {member.ref} is not a grid worker of {case.grid_id!r}")


def ensure_reporter(member: Member, case: Case) -> None:
    if case.reporter_id is None or case.reporter_id != member.id:
        raise NotAuthorised(f"member {member.ref} did not report case {case.number}")


def ensure_staff(member: Member) -> None:
    if not member.is_staff:
        raise NotAuthorised(f"member {member.ref} is not a dispatcher or admin")


def ensure_acts_as(member: Member, role: str, allowed: Iterable[str]) -> None:
    """An actor claims a role: it must be one the command takes, and one the member holds
    (anyone may act as a resident: the reporter of a case, whatever else they are)."""
    if role not in allowed:
        raise NotAuthorised(f"this command is not for the role {role!r}")
    if role != Role.RESIDENT.value and role not in member.roles:
        raise NotAuthorised(f"member {member.ref} does not hold the role {role!r}")
