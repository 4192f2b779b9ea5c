"""The grid centre's own intake: a dispatcher or admin enters a case in the console for a
caller on the phone (来电), a walk-in (来访), a 110 非警务 referral or another source.

People. The caller becomes a member without a Telegram id (like the 12345 hotline's member,
so no chat message ever goes to them), one member per intake: their name and phone, if given,
are kept on that member only. Units never see them — the unit card names no reporter — and
the console shows them to dispatchers and admins only. The staff member who entered the case
is recorded on its first event (`entered_by`), and must be a dispatcher or admin.

The case goes through `CaseService.submit_report` like any other report: the same routing,
deadlines, duplicate check and unit card through the outbox; its channel is the source."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete

from dispatch.db.orm import MemberRow
from dispatch.db.uow import UnitOfWork
from dispatch.domain.case import Actor, Case, Channel
from dispatch.domain.errors import DomainError, NotAuthorised
from dispatch.domain.members import Member, Role, ensure_acts_as
from dispatch.service.cases import MAX_DESCRIPTION, STAFF, CaseService, ReportDraft

SOURCES: tuple[str, ...] = (Channel.PHONE, Channel.WALK_IN, Channel.POLICE_110, Channel.ADMIN)
INTAKE_REF_PREFIX = "intake-"
MAX_CALLER_NAME = 100
MAX_CALLER_PHONE = 40


class IntakeInvalid(DomainError):
    """Bad input for an intake; `field` names the form field, the message is a texts key."""

    def __init__(self, field: str, key: str) -> None:
        super().__init__(key)
        self.field = field
        self.key = key


@dataclass
class Intake:
    text: str
    source: str
    category: str
    emergency: bool = False
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    caller_name: str = ""
    caller_phone: str = ""
    photos: list[str] = field(default_factory=list)
    predicted_category: str | None = None  # the NLU's suggestion, if the dispatcher changed it
    confidence: float | None = None


def is_intake_member(member: Any) -> bool:
    """Whether a member (or a member row) is a caller entered through the console."""
    return member is not None and member.tg_id is None and str(member.ref).startswith(INTAKE_REF_PREFIX)


class IntakeService:
    def __init__(self, service: CaseService, uow: Callable[[], UnitOfWork]) -> None:
        self.service = service
        self._uow = uow

    def check(self, intake: Intake) -> None:
        """Raise `IntakeInvalid` for the first bad field."""
        text = intake.text.strip()
        if not text:
            raise IntakeInvalid("text", "intake_err_text_empty")
        if len(text) > MAX_DESCRIPTION:
            raise IntakeInvalid("text", "intake_err_text_long")
        if intake.source not in SOURCES:
            raise IntakeInvalid("source", "intake_err_source")
        if not self.service.registry.taxonomy.has_category(intake.category):
            raise IntakeInvalid("category", "intake_err_category")
        if (intake.lat is None) != (intake.lon is None):
            raise IntakeInvalid("lat", "intake_err_point")
        if intake.lat is not None and intake.lon is not None and not (
            -90 <= intake.lat <= 90 and -180 <= intake.lon <= 180
        ):
            raise IntakeInvalid("lat", "intake_err_point")
        if len(intake.caller_name.strip()) > MAX_CALLER_NAME:
            raise IntakeInvalid("caller_name", "intake_err_caller_name")
        if len(intake.caller_phone.strip()) > MAX_CALLER_PHONE:
            raise IntakeInvalid("caller_phone", "intake_err_caller_phone")

    async def submit(self, intake: Intake, actor: Actor, caller_label: str) -> Case:
        """File the intake as a case entered by `actor` (a dispatcher or admin);
        `caller_label` names a caller who gave no name (e.g. 来电群众)."""
        self.check(intake)
        now = self.service.clock.now()
        async with self._uow() as uow:
            staff = await uow.members.get(actor.member_id) if actor.member_id is not None else None
            if staff is None:
                raise NotAuthorised(f"unknown member {actor.member_id!r}")
            ensure_acts_as(staff, actor.role, {r.value for r in STAFF})
            caller = Member(
                tg_id=None, name=intake.caller_name.strip() or caller_label,
                ref=f"{INTAKE_REF_PREFIX}{secrets.token_hex(8)}", roles={Role.RESIDENT.value},
                phone=intake.caller_phone.strip() or None,
            )
            caller = await uow.members.save(caller, now)
            await uow.commit()
        assert caller.id is not None
        draft = ReportDraft(
            text=intake.text.strip(), reporter_id=caller.id, category=intake.category,
            confidence=intake.confidence, emergency=intake.emergency, lat=intake.lat, lon=intake.lon,
            address=(intake.address or "").strip() or None, photos=list(intake.photos),
            channel=intake.source, predicted_category=intake.predicted_category,
            entered_by=actor.member_id,
        )
        try:
            return await self.service.submit_report(draft)
        except BaseException:
            await self._forget(caller.id)  # no case: the caller's record goes too
            raise

    async def _forget(self, member_id: int) -> None:
        async with self._uow() as uow:
            await uow.session.execute(delete(MemberRow).where(MemberRow.id == member_id))
            await uow.commit()
