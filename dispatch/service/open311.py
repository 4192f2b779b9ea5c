"""The Open311 GeoReport v2 channel's service side: API keys (stored hashed), posting a
service request as a case, and reading cases back.

People. Each API key has a member (ref `open311-<key name>`, a resident): the reporter of
the cases posted with that key. What a requester says about themselves (name, email, phone,
device and account ids) is kept in `open311_requests`, for the call-back only: never on the
case, so never on a unit's card. Every request posted gets a token as well as its case number
(`service_request_id`); `tokens/{token}` maps one to the other."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

from dispatch.db import channel_store
from dispatch.db.channel_tables import ApiKeyRow, Open311RequestRow
from dispatch.db.mapping import case_from_row
from dispatch.db.uow import UnitOfWork
from dispatch.domain.case import Case, Channel
from dispatch.domain.errors import DomainError
from dispatch.domain.members import Member, Role
from dispatch.domain.status import FINAL, CaseStatus
from dispatch.service.cases import CaseService, ReportDraft

KEY_NAME_MAX = 48
MEMBER_PREFIX = "open311-"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ApiKey:
    name: str
    member_id: int


@dataclass(frozen=True, slots=True)
class Requester:
    """What the requester tells about themselves: private."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    device_id: str | None = None
    account_id: str | None = None


def open_or_closed(status: CaseStatus | str) -> str:
    """GeoReport's two statuses: a case that is over (closed, cancelled, linked as a
    duplicate) is `closed`; everything else is `open` (our status goes in status_notes)."""
    return "closed" if CaseStatus(status) in FINAL else "open"


def statuses_for(open_closed: str) -> list[str]:
    closed = sorted(s.value for s in FINAL)
    if open_closed == "closed":
        return closed
    return sorted(s.value for s in CaseStatus if s.value not in closed)


class Open311:
    def __init__(self, service: CaseService, uow: Callable[[], UnitOfWork]) -> None:
        self.service = service
        self._uow = uow

    # -- keys ----------------------------------------------------------------------------------
    async def create_key(self, name: str) -> str:
        """A new key for `name` (shown once; only its hash is stored). A revoked name may be
        given a new key; an active one may not."""
        name = name.strip()
        if not name or len(name) > KEY_NAME_MAX or any(c.isspace() for c in name):
            raise DomainError(f"a key name is 1–{KEY_NAME_MAX} characters without spaces")
        key = secrets.token_urlsafe(32)
        now = self.service.clock.now()
        async with self._uow() as uow:
            row = await channel_store.api_key_by_name(uow.session, name)
            if row is not None and row.revoked_at is None:
                raise DomainError(f"the key {name!r} exists (revoke it first)")
            ref = MEMBER_PREFIX + name
            member = await uow.members.by_ref(ref)
            if member is None:
                member = await uow.members.save(
                    Member(tg_id=None, name=f"Open311 {name}", ref=ref, roles={Role.RESIDENT.value}), now
                )
            if row is None:
                row = ApiKeyRow(name=name, created_at=now)
                uow.session.add(row)
            row.key_hash, row.member_id, row.revoked_at, row.created_at = hash_key(key), member.id, None, now
            await uow.commit()
        return key

    async def revoke_key(self, name: str) -> None:
        async with self._uow() as uow:
            row = await channel_store.api_key_by_name(uow.session, name)
            if row is None:
                raise DomainError(f"no API key named {name!r}")
            if row.revoked_at is None:
                row.revoked_at = self.service.clock.now()
            await uow.commit()

    async def check_key(self, key: str) -> ApiKey | None:
        """The key's name and member, or None for an unknown or revoked key."""
        if not key:
            return None
        async with self._uow() as uow:
            row = await channel_store.api_key_by_hash(uow.session, hash_key(key))
        if row is None or row.revoked_at is not None or row.member_id is None:
            return None
        return ApiKey(row.name, row.member_id)

    # -- requests ------------------------------------------------------------------------------
    async def submit(
        self,
        key: ApiKey,
        *,
        category: str,
        description: str,
        lat: float | None,
        lon: float | None,
        address: str | None,
        requester: Requester,
        media_url: str | None,
    ) -> tuple[Case, str]:
        token = secrets.token_hex(16)

        async def record(uow: UnitOfWork, case: Case) -> None:
            assert case.id is not None
            await channel_store.add_open311_request(uow.session, Open311RequestRow(
                token=token, case_id=case.id, key_name=key.name, media_url=media_url,
                created_at=self.service.clock.now(), **asdict(requester),
            ))

        draft = ReportDraft(
            text=description, reporter_id=key.member_id, category=category, lat=lat, lon=lon,
            address=address, channel=Channel.OPEN311,
        )
        case = await self.service.submit_report(draft, also=record)
        return case, token

    async def token(self, token: str) -> str | None:
        """The case number a token stands for."""
        async with self._uow() as uow:
            row = await channel_store.open311_request(uow.session, token)
            if row is None:
                return None
            case = await uow.cases.get(row.case_id)
        return case.number if case is not None else None

    async def find(
        self,
        *,
        numbers: list[str] | None = None,
        categories: list[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        statuses: list[str] | None = None,
        limit: int = 1000,
    ) -> tuple[list[tuple[Case, datetime]], dict[int, str]]:
        """Cases with the time each last changed, and the media URL posted with each (by
        case id)."""
        async with self._uow() as uow:
            rows = await channel_store.cases_for_open311(
                uow.session, numbers=numbers, categories=categories, start=start, end=end,
                statuses=statuses, limit=limit,
            )
            cases = [(case_from_row(r), r.updated_at) for r in rows]
            media = await channel_store.open311_media(uow.session, [r.id for r in rows])
        return cases, media

    def grid_point(self, grid_id: str) -> tuple[float, float] | None:
        """(lat, lon) of a point inside a grid (`address_id`), or None for an unknown grid."""
        tree = self.service.registry.tree
        if grid_id not in tree:
            return None
        p = tree.get(grid_id).geometry.representative_point()
        return float(p.y), float(p.x)

    async def audit(self, **fields: object) -> None:
        async with self._uow() as uow:
            channel_store.audit(uow.session, at=self.service.clock.now(), **fields)
            await uow.commit()
