"""The commands every channel calls: submit, accept, return, resolve, verify, rate…

Each command takes an `Actor`: who (a member id), in which role, through which channel. The
channel maps its own notion of a person to a member first (the bot: a Telegram user, through
`telegram_member`; the console: the logged-in account's member). Authorisation is here: the
member must hold the role they act in, and the case rules of `dispatch.domain.members` apply.

Each command is one transaction: the case row, its events and the outbox rows
for its notifications commit together or not at all."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import texts
from dispatch.db.uow import UnitOfWork
from dispatch.domain.case import Action, Actor, Case, CaseEvent, Photo, Priority, Rating
from dispatch.domain.duplicates import LINKABLE, DuplicatePolicy, find_duplicate
from dispatch.domain.errors import DomainError, NotAuthorised, OutdatedRound
from dispatch.domain.members import (
    Member,
    Role,
    ensure_acts_as,
    ensure_grid_worker,
    ensure_reporter,
    ensure_staff,
    ensure_unit_member,
)
from dispatch.domain.numbering import format_case_number
from dispatch.domain.status import CaseStatus
from dispatch.observe.context import set_case
from dispatch.service import notify
from dispatch.service.ports import Clock
from dispatch.service.registry import Registry
from dispatch.service.route_service import route_report

MAX_DESCRIPTION = 4000
STAFF = (Role.DISPATCHER, Role.ADMIN)
# Statuses in which an amended report is routed again (nobody has handled it yet).
REROUTABLE = (CaseStatus.NEW, CaseStatus.TRIAGE, CaseStatus.DISPATCHED, CaseStatus.ACCEPTED,
              CaseStatus.RETURNED)
# Work a channel does in the command's own transaction (its own records of the case).
AlsoInTransaction = Callable[[UnitOfWork, Case], Awaitable[None]]
_LINKABLE = sorted(s.value for s in LINKABLE)


class CaseNotFound(DomainError):
    pass


log = logging.getLogger("dispatch.cases")

@dataclass
class ReportDraft:
    """Everything a reporter gave us, ready to become a case."""

    text: str
    reporter_id: int  # the member who reports (see CaseService.telegram_member)
    category: str = "other"
    confidence: float | None = None
    emergency: bool = False
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    photos: list[str] = field(default_factory=list)
    channel: str = "telegram"
    message_ids: list[int] = field(default_factory=list)  # transcript rows to link
    on_spot: bool = False  # 现场处置 by a grid worker
    on_spot_note: str = ""
    result_photos: list[str] = field(default_factory=list)
    predicted_category: str | None = None  # what the NLU said, if the person changed it
    triage: bool = False  # the category is uncertain: a dispatcher decides (分类不确定)
    entered_by: int | None = None  # the staff member who entered it for the reporter (console intake)


@dataclass(frozen=True)
class ServiceConfig:
    case_prefix: str = "QH"
    timezone: str = "Asia/Shanghai"
    require_verification: bool = True  # 核查 before closing (else the rating alone closes)
    duplicates: DuplicatePolicy = field(default_factory=DuplicatePolicy)


class CaseService:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        registry: Callable[[], Registry],
        clock: Clock,
        config: ServiceConfig | None = None,
    ) -> None:
        self._uow = uow_factory
        self._registry = registry
        self.clock = clock
        self.config = config or ServiceConfig()
        self._tz = ZoneInfo(self.config.timezone)

    @property
    def registry(self) -> Registry:
        return self._registry()

    # -- people ----------------------------------------------------------------------------
    async def telegram_member(self, tg_id: int, name: str = "") -> Member:
        """The member behind a Telegram user: found by their Telegram id, or registered as a
        resident the first time they write (the one place a Telegram id becomes a member)."""
        async with self._uow() as uow:
            member = await uow.members.by_tg(tg_id)
            if member is None:  # a new person: nothing to load, one statement writes them
                new = Member(tg_id=tg_id, name=name or str(tg_id))
                member = await uow.members.register(new, self.clock.now())
                await uow.commit()
            return member

    # -- helpers -------------------------------------------------------------------------
    async def _acting(self, uow: UnitOfWork, actor: Actor, *roles: Role) -> Member:
        """The actor's member, who must hold the role they act in (one of `roles`)."""
        member = await uow.members.get(actor.member_id) if actor.member_id is not None else None
        if member is None:
            raise NotAuthorised(f"unknown member {actor.member_id!r}")
        ensure_acts_as(member, actor.role, {r.value for r in roles})
        return member

    async def _case(self, uow: UnitOfWork, case_id: int) -> Case:
        case = await uow.cases.get(case_id)
        if case is None:
            raise CaseNotFound(f"case {case_id} not found")
        set_case(case.number)  # named on every log line about it from here on
        return case

    async def _reporter_tg(self, uow: UnitOfWork, case: Case) -> int | None:
        if case.reporter_id is None:
            return None
        reporter = await uow.members.get(case.reporter_id)
        return reporter.tg_id if reporter and not reporter.blocked else None

    async def _commit(self, uow: UnitOfWork, case: Case, events: Sequence[CaseEvent], now: datetime) -> Case:
        await uow.cases.save(case, now)
        set_case(case.number)
        reporter_tg = await self._reporter_tg(uow, case)
        for e in events:
            await notify.plan(uow, self.registry, case, e, now, reporter_tg)
        await uow.commit()
        return case

    # -- 上报 → 立案 → 派遣 ----------------------------------------------------------------
    async def submit_report(self, draft: ReportDraft, also: AlsoInTransaction | None = None) -> Case:
        """File a report as a case; `also` runs in the same transaction once the case has its
        id (a channel's record of where the case came from commits with it or not at all)."""
        now = self.clock.now()
        registry = self.registry
        if not registry.taxonomy.has_category(draft.category):
            raise DomainError(f"unknown category {draft.category!r}")
        text = (draft.text or "").strip()[:MAX_DESCRIPTION]
        routed = route_report(
            registry,
            " ".join(filter(None, [text, draft.address])),
            draft.lat,
            draft.lon,
            category=draft.category,
            emergency=draft.emergency,
        )
        async with self._uow() as uow:
            member = await uow.members.get(draft.reporter_id)
            if member is None:
                raise NotAuthorised(f"unknown member {draft.reporter_id!r}")
            role = member.reporter_role
            local_day = now.astimezone(self._tz).date()
            seq = await uow.cases.next_number_seq(self.config.case_prefix, f"{local_day:%Y%m%d}")
            loc = routed.location
            case = Case(
                number=format_case_number(self.config.case_prefix, local_day, seq),
                category=draft.category,
                description=text,
                created_at=now,
                reporter_id=member.id,
                reporter_role=role,
                channel=draft.channel,
                lat=draft.lat if draft.lat is not None else loc.lat,
                lon=draft.lon if draft.lon is not None else loc.lon,
                address=draft.address or loc.place,
                grid_id=routed.grid_id,
                emergency=draft.emergency,
                priority=Priority.EMERGENCY if draft.emergency else Priority.NORMAL,
                nlu_confidence=draft.confidence,
                photos=[Photo(p, "report") for p in draft.photos],
            )
            reporter = Actor(member.id, role, draft.channel)
            events = [case.report(reporter, now)]
            if draft.entered_by is not None:
                events[0].data["entered_by"] = draft.entered_by
            system = Actor(None, "system", draft.channel)
            original = (
                None if draft.on_spot or draft.emergency else await self._find_duplicate(uow, case, now)
            )
            if original is not None:
                assert original.id is not None
                events.append(case.mark_duplicate(original.id, original.number, system, now))
            elif draft.on_spot and member.has(Role.GRID_WORKER):
                events.append(
                    case.resolve(reporter, now, draft.on_spot_note or "现场处置", draft.result_photos)
                )
                events.append(case.close(system, now, "现场处置, 小事不出格"))
            elif draft.triage:
                events.append(case.send_to_triage(system, now, texts.TRIAGE_UNCERTAIN))
            elif routed.unit_id is not None:
                due = registry.sla.due_at(case.category, routed.unit_id, case.priority, now)
                events.append(case.dispatch(routed.unit_id, due, system, now, routed.reason))
            else:
                events.append(case.send_to_triage(system, now, routed.reason))
            await uow.cases.add(case)
            await uow.messages.link(draft.message_ids, case.id)  # type: ignore[arg-type]
            if original is not None:
                assert original.id is not None and member.id is not None
                await uow.cases.add_follower(original.id, member.id, now)
                count = await uow.cases.duplicate_count(original.id)
                linked = original.record(
                    Action.DUPLICATE_REPORTED, system, now, case.number,
                    duplicate_id=case.id, reports=count + 1,
                )
                await uow.cases.save(original, now)
                await notify.plan(uow, registry, original, linked, now, None)
            if draft.predicted_category and draft.predicted_category != draft.category:
                uow.corrections.add(
                    text=text,
                    predicted=draft.predicted_category,
                    category=draft.category,
                    source=role,
                    now=now,
                    case_id=case.id,
                )
            reporter_tg = None if member.blocked else member.tg_id
            for e in events:
                await notify.plan(uow, registry, case, e, now, reporter_tg, new_case=True)
            if also is not None:
                await also(uow, case)
            await uow.commit()
        set_case(case.number)
        log.info("case filed: %s, %s → %s (%s)", case.category, case.grid_id, case.unit_id, case.status.value)
        return case

    async def amend_report(
        self,
        case_id: int,
        actor: Actor,
        *,
        text: str,
        address: str | None,
        lat: float | None,
        lon: float | None,
        category: str,
        also: AlsoInTransaction | None = None,
    ) -> Case:
        """The source sent a report again with another text or place (a re-sent 12345
        order): the case takes the new text and place and, while nobody has handled it yet,
        the category and unit they lead to (recategorised, re-dispatched, or sent to triage
        when the place no longer resolves). A handled case keeps its unit."""
        async with self._uow() as uow:
            member, case = await self._acting(uow, actor, *STAFF), await self._case(uow, case_id)
            ensure_staff(member)
            registry = self.registry
            if not registry.taxonomy.has_category(category):
                raise DomainError(f"unknown category {category!r}")
            now = self.clock.now()
            text = (text or "").strip()[:MAX_DESCRIPTION]
            routed = route_report(
                registry, " ".join(filter(None, [text, address])), lat, lon,
                category=category, emergency=case.emergency,
            )
            loc = routed.location
            events = [
                case.amend(
                    actor, now, text, address or loc.place,
                    lat if lat is not None else loc.lat, lon if lon is not None else loc.lon,
                    routed.grid_id,
                )
            ]
            if case.status in REROUTABLE:
                if category != case.category:
                    events.append(case.recategorise(actor, now, category, texts.AMENDED_NOTE))
                if routed.unit_id is not None and (
                    routed.unit_id != case.unit_id or case.status not in (CaseStatus.DISPATCHED,
                                                                          CaseStatus.ACCEPTED)
                ):
                    due = registry.sla.due_at(case.category, routed.unit_id, case.priority, now)
                    events.append(case.dispatch(routed.unit_id, due, actor, now, routed.reason))
                elif routed.unit_id is None and case.status in (
                    CaseStatus.NEW, CaseStatus.DISPATCHED, CaseStatus.RETURNED
                ):  # an accepted case stays with the unit that took it
                    events.append(case.send_to_triage(actor, now, routed.reason))
            if also is not None:
                await also(uow, case)
            return await self._commit(uow, case, events, now)

    async def _find_duplicate(self, uow: UnitOfWork, case: Case, now: datetime) -> Case | None:
        policy = self.config.duplicates
        if not policy.enabled:
            return None
        since = now - timedelta(hours=policy.window_hours)
        if case.lat is not None and case.lon is not None:
            near: tuple[float, float, float] | None = (case.lat, case.lon, policy.distance_m)
        elif case.grid_id is not None:
            near = None
        else:
            return None  # nowhere to compare
        candidates = await uow.cases.open_of_category(
            case.category, since, _LINKABLE, near=near, grid_id=case.grid_id
        )
        match = find_duplicate(
            case.description, case.category, case.lat, case.lon, case.grid_id, now, candidates, policy
        )
        return match.case if match else None

    async def unlink_duplicate(self, case_id: int, actor: Actor) -> Case:
        """A dispatcher decides a linked report is a problem of its own: it goes to triage, and
        the main case's timeline says so."""
        async with self._uow() as uow:
            member, case = await self._acting(uow, actor, *STAFF), await self._case(uow, case_id)
            ensure_staff(member)
            now = self.clock.now()
            original_id = case.duplicate_of
            event = case.send_to_triage(actor, now, texts.DUPLICATE_UNLINKED_NOTE)
            case.duplicate_of = None
            if original_id is not None:
                if case.reporter_id is not None:
                    await uow.cases.remove_follower(original_id, case.reporter_id)
                original = await uow.cases.get(original_id)
                if original is not None:
                    original.record(Action.UNLINKED_DUPLICATE, actor, now, case.number, duplicate_id=case.id)
                    await uow.cases.save(original, now)
            return await self._commit(uow, case, [event], now)

    async def merge_duplicate(self, case_id: int, into_id: int, actor: Actor, note: str = "") -> Case:
        """合并: a dispatcher marks case `case_id` a duplicate of the open case `into_id`. Its
        reporter follows the main case, it is closed as a duplicate (the unit holding it sees its
        card say so), and both timelines record the merge."""
        async with self._uow() as uow:
            member = await self._acting(uow, actor, *STAFF)
            ensure_staff(member)
            case, main = await self._case(uow, case_id), await self._case(uow, into_id)
            if case.id == main.id:
                raise DomainError(f"case {case.number} cannot be a duplicate of itself")
            if main.status not in LINKABLE or main.duplicate_of is not None:
                raise DomainError(f"case {main.number} is not open: nothing can follow it")
            now = self.clock.now()
            assert main.id is not None and case.id is not None
            event = case.mark_duplicate(main.id, main.number, actor, now)
            if note.strip():
                event.data["note"] = note.strip()[:500]
            # its reporter, and whoever followed it, follow the main case now
            people = {*await uow.cases.follower_ids(case.id), case.reporter_id} - {None, main.reporter_id}
            for person in sorted(p for p in people if p is not None):
                await uow.cases.add_follower(main.id, person, now)
            count = await uow.cases.duplicate_count(main.id)
            linked = main.record(Action.DUPLICATE_REPORTED, actor, now, case.number,
                                 duplicate_id=case.id, reports=count + 1, merged=True)
            await uow.cases.save(main, now)
            await notify.plan(uow, self.registry, main, linked, now, None)
            return await self._commit(uow, case, [event], now)

    # -- the unit ---------------------------------------------------------------------------
    async def accept(self, case_id: int, actor: Actor) -> Case:
        async with self._uow() as uow:
            member, case = await self._acting(uow, actor, Role.UNIT_MEMBER), await self._case(uow, case_id)
            ensure_unit_member(member, case)
            now = self.clock.now()
            event = case.accept(actor, now)
            return await self._commit(uow, case, [event], now)

    async def return_case(self, case_id: int, actor: Actor, reason: str) -> Case:
        async with self._uow() as uow:
            member, case = await self._acting(uow, actor, Role.UNIT_MEMBER), await self._case(uow, case_id)
            ensure_unit_member(member, case)
            now = self.clock.now()
            events = [case.return_to_dispatcher(actor, now, reason.strip() or "非本单位职责")]
            system = Actor(None, "system", actor.channel)
            events.append(case.send_to_triage(system, now, "单位退回, 待重新分拨"))
            return await self._commit(uow, case, events, now)

    async def resolve(self, case_id: int, actor: Actor, note: str, photos: Sequence[str]) -> Case:
        async with self._uow() as uow:
            member, case = await self._acting(uow, actor, Role.UNIT_MEMBER), await self._case(uow, case_id)
            ensure_unit_member(member, case)
            if case.status is CaseStatus.ACCEPTED and case.accepted_by not in (None, member.id):
                raise NotAuthorised("only the member who accepted the case may resolve it")
            now = self.clock.now()
            event = case.resolve(actor, now, note.strip(), list(photos))
            return await self._commit(uow, case, [event], now)

    # -- 核查, rating, 返工 --------------------------------------------------------------------
    async def verify(self, case_id: int, actor: Actor, passed: bool, note: str = "") -> Case:
        async with self._uow() as uow:
            member, case = await self._acting(uow, actor, Role.GRID_WORKER), await self._case(uow, case_id)
            ensure_grid_worker(member, case, self.registry.tree)
            now = self.clock.now()
            before = len(case.events)
            case.verify(actor, now, passed, note)
            events = case.events[before:]
            await self._redispatch_if_reopened(case, now, events)
            return await self._commit(uow, case, list(case.events[before:]), now)

    async def rate(
        self,
        case_id: int,
        actor: Actor,
        rating: Rating,
        rating_round: int | None = None,
        *,
        solved: bool | None = None,
        reason: str = "",
    ) -> Case:
        """`rating_round`: the case's rework count when the rating was asked for; a rating asked for
        before a 返工 is refused (`OutdatedRound`). `solved`: the resident's answer to "问题解决了吗"
        (for 解决率); an unhappy or unsolved answer may come with a short reason."""
        async with self._uow() as uow:
            member, case = await self._acting(uow, actor, Role.RESIDENT), await self._case(uow, case_id)
            ensure_reporter(member, case)
            if rating_round is not None and rating_round != case.rework_count:
                raise OutdatedRound(case.number, rating_round, case.rework_count)
            now = self.clock.now()
            before = len(case.events)
            case.rate(
                actor,
                now,
                rating,
                await_verification=self.config.require_verification
                and not case.on_spot
                and bool(await notify.grid_workers_for(uow, self.registry, case.grid_id)),
                solved=solved,
                reason=reason.strip(),
            )
            await self._redispatch_if_reopened(case, now, case.events[before:])
            return await self._commit(uow, case, list(case.events[before:]), now)

    async def review(self, case_id: int, actor: Actor, ok: bool, note: str = "") -> Case:
        """审核 of an on-the-spot record by a 网格长 of its grid or a dispatcher: its points
        count once it passed."""
        async with self._uow() as uow:
            member = await self._acting(uow, actor, Role.GRID_LEADER, *STAFF)
            case = await self._case(uow, case_id)
            leader = actor.role == Role.GRID_LEADER.value
            if leader and not member.covers_grid(self.registry.tree, case.grid_id):
                raise NotAuthorised(f"member {member.ref} is not a grid leader of {case.grid_id!r}")
            now = self.clock.now()
            case.review(actor, now, ok, note.strip())
            await uow.cases.save(case, now)
            await uow.commit()
            return case

    async def _redispatch_if_reopened(self, case: Case, now: datetime, events: Sequence[CaseEvent]) -> None:
        """返工 goes straight back to the unit that handled it, with a fresh time limit."""
        if case.status is not CaseStatus.REOPENED:
            return
        system = Actor(None, "system", "system")
        if case.unit_id is not None and case.unit_id in self.registry.units:
            due = self.registry.sla.due_at(case.category, case.unit_id, case.priority, now)
            case.dispatch(case.unit_id, due, system, now, "返工")
        else:
            case.send_to_triage(system, now, "返工, 待重新分拨")

    # -- dispatchers ----------------------------------------------------------------------------
    async def reassign(
        self, case_id: int, actor: Actor, unit_id: str, note: str = "", category: str | None = None
    ) -> Case:
        async with self._uow() as uow:
            member, case = await self._acting(uow, actor, *STAFF), await self._case(uow, case_id)
            ensure_staff(member)
            registry = self.registry
            if unit_id not in registry.units:
                raise DomainError(f"unknown unit {unit_id!r}")
            now = self.clock.now()
            events: list[CaseEvent] = []
            if category is not None and category != case.category:
                events.append(await self._recategorise(uow, case, actor, now, category, note))
            if case.status in (CaseStatus.RETURNED,):
                events.append(case.send_to_triage(actor, now, "改派"))
            due = registry.sla.due_at(case.category, unit_id, case.priority, now)
            events.append(case.dispatch(unit_id, due, actor, now, note or "调度员派遣"))
            return await self._commit(uow, case, events, now)

    async def _recategorise(
        self, uow: UnitOfWork, case: Case, actor: Actor, now: datetime, category: str, note: str
    ) -> CaseEvent:
        if not self.registry.taxonomy.has_category(category):
            raise DomainError(f"unknown category {category!r}")
        uow.corrections.add(
            text=case.description,
            predicted=case.category,
            category=category,
            source=actor.role,
            now=now,
            case_id=case.id,
        )
        return case.recategorise(actor, now, category, note)

    async def recategorise(self, case_id: int, actor: Actor, category: str, note: str = "") -> Case:
        async with self._uow() as uow:
            member, case = await self._acting(uow, actor, *STAFF), await self._case(uow, case_id)
            ensure_staff(member)
            now = self.clock.now()
            event = await self._recategorise(uow, case, actor, now, category, note)
            return await self._commit(uow, case, [event], now)

    async def cancel(self, case_id: int, actor: Actor, reason: str) -> Case:
        """撤销: by the reporter while nobody has taken the case up, or by staff."""
        async with self._uow() as uow:
            member = await self._acting(uow, actor, Role.RESIDENT, *STAFF)
            case = await self._case(uow, case_id)
            if actor.role == Role.RESIDENT.value:
                ensure_reporter(member, case)
                if case.status not in (CaseStatus.NEW, CaseStatus.TRIAGE, CaseStatus.DISPATCHED):
                    raise NotAuthorised(f"case {case.number} is being handled: only staff may cancel it")
            now = self.clock.now()
            event = case.cancel(actor, now, reason.strip() or "撤销")
            return await self._commit(uow, case, [event], now)

    async def close(self, case_id: int, actor: Actor, reason: str) -> Case:
        """结案 by a dispatcher (a handled case whose rating or 核查 will not come)."""
        async with self._uow() as uow:
            member, case = await self._acting(uow, actor, *STAFF), await self._case(uow, case_id)
            ensure_staff(member)
            now = self.clock.now()
            event = case.close(actor, now, reason.strip() or "调度员结案")
            return await self._commit(uow, case, [event], now)

    async def extend(self, case_id: int, actor: Actor, hours: float, reason: str) -> Case:
        async with self._uow() as uow:
            member, case = await self._acting(uow, actor, *STAFF), await self._case(uow, case_id)
            ensure_staff(member)
            if hours <= 0:
                raise DomainError("an extension needs a positive number of hours")
            now = self.clock.now()
            start = case.due_at or now
            new_due = self.registry.sla.calendar.add_hours(start, hours)
            event = case.extend(actor, now, new_due, reason)
            return await self._commit(uow, case, [event], now)
