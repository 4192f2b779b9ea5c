"""The case (案件/工单) entity: state, transitions and the events they append."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from dispatch.domain.errors import DomainError, IllegalTransition
from dispatch.domain.status import WITH_UNIT, CaseStatus, can_transition


class Priority:
    NORMAL = 0
    URGENT = 1
    EMERGENCY = 2


class Rating(StrEnum):
    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    UNSATISFIED = "unsatisfied"  # 不满意


class Action(StrEnum):
    """What a timeline event records (`case_events.action`)."""

    REPORTED = "reported"
    DISPATCHED = "dispatched"
    REASSIGNED = "reassigned"
    TRIAGED = "triaged"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    RESOLVED = "resolved"
    RESOLVED_ON_SPOT = "resolved_on_spot"
    VERIFIED = "verified"
    RATED = "rated"
    REOPENED = "reopened"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    LINKED_DUPLICATE = "linked_duplicate"
    DUPLICATE_REPORTED = "duplicate_reported"
    UNLINKED_DUPLICATE = "unlinked_duplicate"  # on the main case: a linked report was unlinked
    EXTENDED = "extended"
    RECATEGORISED = "recategorised"
    REVIEWED = "reviewed"  # 审核 of an on-the-spot record by a 网格长 or dispatcher
    REMINDED = "reminded"
    ESCALATED = "escalated"
    AMENDED = "amended"  # the source re-sent the report with another text or place (12345)


class Channel(StrEnum):
    TELEGRAM = "telegram"
    SANDBOX = "sandbox"
    ADMIN = "admin"
    CLI = "cli"
    HOTLINE = "hotline"  # 12345 work orders (`gridbot hotline import`)
    OPEN311 = "open311"  # the Open311 GeoReport v2 API (`gridbot api`)
    PHONE = "phone"  # 来电: the grid centre took a call and entered it in the console
    WALK_IN = "walk_in"  # 来访: a person came to the grid centre
    POLICE_110 = "police_110"  # 110非警务: referred by the police
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something: a member id (None for the system) and the role they acted in."""

    member_id: int | None
    role: str  # resident / grid_worker / unit_member / dispatcher / admin / system
    channel: str = Channel.SYSTEM

    @classmethod
    def system(cls) -> Actor:
        return cls(member_id=None, role="system", channel=Channel.SYSTEM)


@dataclass(slots=True)
class CaseEvent:
    """One row of the case timeline: who, through which channel, when, old → new, note."""

    action: str
    at: datetime
    actor_id: int | None
    actor_role: str
    channel: str
    old_status: str | None
    new_status: str | None
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)


# Photos uploaded in the console are files in the data directory, not Telegram file ids:
# their ids carry this prefix, and nothing sends them through the Bot API.
CONSOLE_PHOTO_PREFIX = "console-"


@dataclass(slots=True)
class Photo:
    file_id: str
    kind: str = "report"  # report / result

    @property
    def in_telegram(self) -> bool:
        """A Telegram file id (the relay may send it), not a console upload."""
        return not self.file_id.startswith(CONSOLE_PHOTO_PREFIX)


@dataclass(slots=True)
class Case:
    number: str
    category: str
    description: str
    created_at: datetime
    reporter_id: int | None = None
    reporter_role: str = "resident"
    channel: str = Channel.TELEGRAM
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    grid_id: str | None = None
    unit_id: str | None = None
    emergency: bool = False
    priority: int = Priority.NORMAL
    status: CaseStatus = CaseStatus.NEW
    due_at: datetime | None = None
    dispatched_at: datetime | None = None
    accepted_at: datetime | None = None
    accepted_by: int | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    rework_count: int = 0
    extension_count: int = 0
    return_count: int = 0
    on_spot: bool = False
    rating: str | None = None
    nlu_confidence: float | None = None
    duplicate_of: int | None = None
    photos: list[Photo] = field(default_factory=list)
    sched: dict[str, Any] | None = None  # the deadline scheduler's bookkeeping
    id: int | None = None
    version: int = 0
    events: list[CaseEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is None:
            raise DomainError("created_at must be timezone-aware")

    # -- the single gate every state change passes ------------------------------------
    def _move(
        self,
        new: CaseStatus,
        action: Action,
        actor: Actor,
        now: datetime,
        note: str = "",
        **data: Any,
    ) -> CaseEvent:
        if now.tzinfo is None:
            raise DomainError("now must be timezone-aware")
        if not can_transition(self.status, new):
            raise IllegalTransition(self.number, self.status.value, new.value)
        old = self.status
        self.status = new
        return self.record(action, actor, now, note, old=old, new=new, **data)

    def record(
        self,
        action: Action,
        actor: Actor,
        now: datetime,
        note: str = "",
        *,
        old: CaseStatus | None = None,
        new: CaseStatus | None = None,
        **data: Any,
    ) -> CaseEvent:
        """Append a timeline event (also for actions that keep the status)."""
        event = CaseEvent(
            action=action,
            at=now,
            actor_id=actor.member_id,
            actor_role=actor.role,
            channel=str(actor.channel),
            old_status=old.value if old is not None else None,
            new_status=new.value if new is not None else None,
            note=note,
            data={k: v for k, v in data.items() if v is not None},
        )
        self.events.append(event)
        return event

    # -- the lifecycle -----------------------------------------------------------------
    def report(self, actor: Actor, now: datetime) -> CaseEvent:
        """The first event: the case exists (发现/上报 → 立案)."""
        return self.record(
            Action.REPORTED,
            actor,
            now,
            new=self.status,
            category=self.category,
            emergency=self.emergency or None,
        )

    def dispatch(
        self, unit_id: str, due_at: datetime, actor: Actor, now: datetime, note: str = ""
    ) -> CaseEvent:
        held = self.status in (CaseStatus.DISPATCHED, CaseStatus.ACCEPTED)
        action = Action.REASSIGNED if held else Action.DISPATCHED
        previous = self.unit_id
        event = self._move(
            CaseStatus.DISPATCHED,
            action,
            actor,
            now,
            note,
            unit_id=unit_id,
            previous_unit_id=previous,
            due_at=due_at.isoformat(),
        )
        self.unit_id = unit_id
        self.due_at = due_at
        self.dispatched_at = now
        self.accepted_at = None
        self.accepted_by = None
        return event

    def send_to_triage(self, actor: Actor, now: datetime, reason: str) -> CaseEvent:
        event = self._move(CaseStatus.TRIAGE, Action.TRIAGED, actor, now, reason)
        self.unit_id = None
        return event

    def accept(self, actor: Actor, now: datetime) -> CaseEvent:
        event = self._move(CaseStatus.ACCEPTED, Action.ACCEPTED, actor, now)
        self.accepted_at = now
        self.accepted_by = actor.member_id
        return event

    def return_to_dispatcher(self, actor: Actor, now: datetime, reason: str) -> CaseEvent:
        """回退: the unit says the case is not theirs."""
        event = self._move(CaseStatus.RETURNED, Action.RETURNED, actor, now, reason, unit_id=self.unit_id)
        self.return_count += 1
        return event

    def resolve(
        self, actor: Actor, now: datetime, note: str, photo_ids: list[str] | None = None
    ) -> CaseEvent:
        on_spot = self.status == CaseStatus.NEW
        event = self._move(
            CaseStatus.RESOLVED,
            Action.RESOLVED_ON_SPOT if on_spot else Action.RESOLVED,
            actor,
            now,
            note,
            photos=list(photo_ids or []) or None,
        )
        self.photos.extend(Photo(p, "result") for p in photo_ids or [])
        self.resolved_at = now
        self.on_spot = on_spot
        return event

    def verify(self, actor: Actor, now: datetime, passed: bool, note: str = "") -> CaseEvent:
        """核查. Passing closes the case when the resident already rated it."""
        if not passed:
            return self.reopen(actor, now, note or "核查未通过", cause="verification")
        event = self._move(CaseStatus.VERIFIED, Action.VERIFIED, actor, now, note)
        if self.rating is not None:
            self.close(Actor.system(), now, "核查通过且已评价", rating=self.rating)
        return event

    def rate(
        self,
        actor: Actor,
        now: datetime,
        rating: Rating,
        *,
        await_verification: bool = False,
        solved: bool | None = None,
        reason: str = "",
    ) -> CaseEvent:
        """The resident's rating, and their answer to "问题解决了吗" (`solved`, kept on the
        event for 解决率). 不满意 reopens (返工). A good rating closes the case, unless it is
        still waiting for 核查 (then verification closes it)."""
        if self.status not in (CaseStatus.RESOLVED, CaseStatus.VERIFIED):
            raise IllegalTransition(self.number, self.status.value, Action.RATED)
        if self.rating is not None:
            raise IllegalTransition(self.number, self.status.value, "rated again")
        if rating is Rating.UNSATISFIED:
            return self.reopen(
                actor, now, reason or "群众不满意", cause="rating", rating=rating.value, solved=solved
            )
        self.rating = rating.value
        if self.status is CaseStatus.RESOLVED and await_verification:
            return self.record(Action.RATED, actor, now, reason, rating=rating.value, solved=solved)
        return self.close(actor, now, reason or "群众评价", rating=rating.value, solved=solved)

    def review(self, actor: Actor, now: datetime, ok: bool, note: str = "") -> CaseEvent:
        """审核 of an on-the-spot record (现场处置) by a 网格长 or dispatcher: its points count
        once it passed."""
        if not self.on_spot:
            raise DomainError(f"case {self.number} was not handled on the spot: nothing to review")
        return self.record(Action.REVIEWED, actor, now, note, ok=ok)

    def reopen(self, actor: Actor, now: datetime, reason: str, **data: Any) -> CaseEvent:
        """返工: back to the unit; counted against it."""
        event = self._move(CaseStatus.REOPENED, Action.REOPENED, actor, now, reason, **data)
        self.rework_count += 1
        self.resolved_at = None
        self.rating = None
        return event

    def close(self, actor: Actor, now: datetime, note: str = "", **data: Any) -> CaseEvent:
        event = self._move(CaseStatus.CLOSED, Action.CLOSED, actor, now, note, **data)
        self.closed_at = now
        return event

    def close_by_default(self, now: datetime, rating: str, note: str) -> CaseEvent:
        """No rating in time: closed as rated by default (默认评价)."""
        self.rating = rating
        return self.close(Actor.system(), now, note, rating=rating, by_default=True)

    def cancel(self, actor: Actor, now: datetime, reason: str) -> CaseEvent:
        event = self._move(CaseStatus.CANCELLED, Action.CANCELLED, actor, now, reason)
        self.closed_at = now
        return event

    def mark_duplicate(self, of_case_id: int, of_number: str, actor: Actor, now: datetime) -> CaseEvent:
        event = self._move(
            CaseStatus.DUPLICATE, Action.LINKED_DUPLICATE, actor, now, of_number, duplicate_of=of_case_id
        )
        self.duplicate_of = of_case_id
        return event

    def extend(self, actor: Actor, now: datetime, new_due_at: datetime, reason: str) -> CaseEvent:
        """延期: a dispatcher approved more time."""
        if self.status not in WITH_UNIT:
            raise IllegalTransition(self.number, self.status.value, Action.EXTENDED)
        if self.due_at is not None and new_due_at <= self.due_at:
            raise DomainError(f"case {self.number}: an extension must move the deadline later")
        old_due = self.due_at
        self.due_at = new_due_at
        self.extension_count += 1
        return self.record(
            Action.EXTENDED,
            actor,
            now,
            reason,
            old_due_at=old_due.isoformat() if old_due else None,
            due_at=new_due_at.isoformat(),
        )

    def amend(
        self,
        actor: Actor,
        now: datetime,
        description: str,
        address: str | None,
        lat: float | None,
        lon: float | None,
        grid_id: str | None,
    ) -> CaseEvent:
        """The source sent the report again with another text or place (a re-sent 12345
        order): the case keeps its status; routing again is the caller's decision."""
        old_grid = self.grid_id
        self.description, self.address = description, address
        self.lat, self.lon, self.grid_id = lat, lon, grid_id
        return self.record(Action.AMENDED, actor, now, "", grid_id=grid_id, old_grid_id=old_grid)

    def recategorise(self, actor: Actor, now: datetime, category: str, note: str = "") -> CaseEvent:
        old = self.category
        self.category = category
        return self.record(Action.RECATEGORISED, actor, now, note, old_category=old, category=category)

    # -- derived ---------------------------------------------------------------------
    def is_overdue(self, now: datetime) -> bool:
        return (
            self.due_at is not None
            and self.status in (CaseStatus.DISPATCHED, CaseStatus.ACCEPTED)
            and now > self.due_at
        )

    def pop_events(self) -> list[CaseEvent]:
        events, self.events = self.events, []
        return events
